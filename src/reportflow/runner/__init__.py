"""reportflow.runner"""
