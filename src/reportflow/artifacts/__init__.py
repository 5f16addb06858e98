"""reportflow.artifacts"""
