"""A nameko timer whose interval is a setting of the service config, so ops tune a sweep without a
release and tests switch it off (0) to drive the same duty by hand."""
from nameko.timer import Timer


def setting_at(config, path, default):
    """The value at the dotted *path* of *config* (``"TIMERS.sweep_seconds"``), or *default* when a
    level is missing or the value is empty (an unset environment variable expands to "")."""
    node = config
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return default if node in (None, "") else node


class ConfiguredTimer(Timer):
    """Fires every ``<setting>`` seconds (*default* when the config is silent); 0 or less never starts.

    Subclasses that decide the interval some other way override ``configured_interval(config)``.
    """

    def __init__(self, setting, default, **kwargs):
        super().__init__(interval=default, **kwargs)
        self.setting = setting
        self.default = default

    def configured_interval(self, config):
        return float(setting_at(config, self.setting, self.default))

    def setup(self):
        self.interval = self.configured_interval(self.container.config)

    def start(self):
        if self.interval > 0:
            super().start()

    # A timer that never started has no green thread to stop.
    def stop(self):
        if self.gt is not None:
            super().stop()

    def kill(self):
        if self.gt is not None:
            super().kill()


configured_timer = ConfiguredTimer.decorator
