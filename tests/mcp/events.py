"""Receiving server notifications with the official SDK (custom methods need bindings)."""
import anyio
from mcp.client import NotificationBinding
from pydantic import BaseModel, ConfigDict


class EventParams(BaseModel):
    model_config = ConfigDict(extra="allow")
    subscription_id: str
    event: dict


class ChannelParams(BaseModel):
    model_config = ConfigDict(extra="allow")
    content: str
    meta: dict | None = None


class MissedParams(BaseModel):
    model_config = ConfigDict(extra="allow")
    missed: int
    resume_after: str


class Inbox:
    """Collects what the server pushes on a connection."""

    def __init__(self):
        self.events: list[dict] = []
        self.channel: list[ChannelParams] = []
        self.missed: list[MissedParams] = []
        self.other: list = []
        self.changed = anyio.Event()

    def _poke(self):
        self.changed.set()
        self.changed = anyio.Event()

    async def on_event(self, p: EventParams):
        self.events.append(p.event | {"_subscription": p.subscription_id})
        self._poke()

    async def on_channel(self, p: ChannelParams):
        self.channel.append(p)
        self._poke()

    async def on_missed(self, p: MissedParams):
        self.missed.append(p)
        self._poke()

    async def on_message(self, message):
        self.other.append(message)
        self._poke()

    def bindings(self):
        return [
            NotificationBinding(method="notifications/whatsapp/event", params_type=EventParams, handler=self.on_event),
            NotificationBinding(method="notifications/claude/channel", params_type=ChannelParams, handler=self.on_channel),
            NotificationBinding(method="notifications/whatsapp/events_missed", params_type=MissedParams, handler=self.on_missed),
        ]

    async def wait_for(self, predicate, timeout=10.0):
        with anyio.fail_after(timeout):
            while True:
                found = predicate(self)
                if found:
                    return found
                await self.changed.wait()

    def of_type(self, kind):
        return [e for e in self.events if e["type"] == kind]
