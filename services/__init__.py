"""The five sopdesk services; they never import each other."""
