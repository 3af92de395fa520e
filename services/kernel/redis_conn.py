"""The Redis connection (transport only: the database is the system of record)."""

from __future__ import annotations

from redis import Redis

from schemas.settings import get_settings

_clients: dict[str, Redis] = {}


class RedisNotConfigured(RuntimeError):
    pass


def get_redis() -> Redis:
    url = get_settings().redis_url
    if not url:
        raise RedisNotConfigured(
            "REDIS_URL is not set: start the stack with `liaison run` (which starts an embedded Redis) "
            "or point REDIS_URL at a Redis server"
        )
    if url not in _clients:
        _clients[url] = Redis.from_url(
            url, socket_timeout=5, socket_connect_timeout=5, health_check_interval=30
        )
    return _clients[url]


def forget_clients() -> None:
    for client in _clients.values():
        client.close()
    _clients.clear()
