"""reportflow.catalog"""
