"""The sopdesk command-line tool."""
