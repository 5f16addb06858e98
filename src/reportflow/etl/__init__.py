"""reportflow.etl"""
