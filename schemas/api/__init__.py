"""The HTTP API's request and response bodies that its clients (the bot) read and send: one module per
domain. The API declares them as its request bodies and `response_model`s and the bot validates each answer
into them, so the two cannot drift apart. Like the rest of `schemas`, nothing here imports `services`."""
