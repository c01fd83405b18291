"""What must stay in step with things outside the app: Slack's manifest schema, the migrations and
the models, the Bolt internals the app leans on."""
