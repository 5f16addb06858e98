"""reportflow.queue"""
