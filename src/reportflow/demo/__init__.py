"""reportflow.demo: the demo warehouse and the Python demo reports."""
