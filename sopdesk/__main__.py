from sopdesk.cli import app

app(prog_name="sopdesk")
