"""The alert read side: the alerts index searched for the API, the CLI and the desk."""
