"""Socket.IO push: the server, push_props, rooms and the Redis message queue."""
