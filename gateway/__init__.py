"""网关 gateway: the only HTTP surface — JSON API and Chinese pages composing the services (issue 4; not built yet)."""
