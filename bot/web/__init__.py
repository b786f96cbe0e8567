"""The public web app: the service page, the chat widget and its small API."""
