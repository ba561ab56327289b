"""The policy owners on Teams: an administrator (SMPOLICY_TEAMS_ADMINS) types `owners here` in a team channel,
as `reviewers here` chooses the review team; that channel gets a bare notice of each question asked of the
owners, the team's members are the owners, and an owner's answer reaches a person who asked by name in their
personal chat with the bot.

    `owners here` (admin, team channel) ──▶ destination "teams-owners" (team, channel reference); roster
    question ──▶ notice in that channel [Answer] ──▶ dialog (task/fetch) ──▶ owners.reply (task/submit)
                                                                               │ asked by name on Teams
       the asker's personal chat (stored conversation reference, proactive) ◀──┘
       no such reference: the answer waits; it comes with their next message to the bot in a personal chat
    anonymous: nothing goes to the person; they read the answer with their one-time code (`my question`)

The roster is the owners' team's members, read through the connector of the activity at hand (as the review
roster): when the channel is chosen, when the team's membership changes, and before every Answer press and
answer submission, so a member removed from the team cannot answer. It is kept in memory only (the owners'
desk); a replica that has not seen an owner act yet reads it on their first press.

Only a named asker's user key is used to reach them (it is stored with a named question anyway); an anonymous
question has no route to anyone.
"""

from __future__ import annotations

import logging
import re
import time
from typing import TYPE_CHECKING

from botbuilder.core import TurnContext

from adapters.teams import inbound
from bot.messages import Reply
from bot.owners import Delivery, OwnersDesk

if TYPE_CHECKING:
    from adapters.teams.app import TeamsChannel

log = logging.getLogger("smpolicy.teams")
DESTINATION = "teams-owners"  # its own key beside the reviewers' "teams"
OWNERS_HERE = re.compile(r"owners here\s*[.!]?", re.I)  # fullmatch on the stripped text: linear
OWNER_ACTIONS = frozenset({"owners.open", "owners.reply"})
STALE_SECONDS = 60  # how old a roster may be when a fresh one can't be read


class TeamsOwners:
    """The owners' channel of Teams, wired into the owners' desk (announcer, deliverer, reachability)."""

    def __init__(self, teams: TeamsChannel, desk: OwnersDesk):
        self.teams, self.desk = teams, desk
        self._read_at = float("-inf")  # when the roster was last read (monotonic)

    def attach(self) -> None:
        self.desk.announcers.append(self.announce)
        self.desk.deliverers[inbound.CHANNEL] = self.deliver
        self.desk.reachable[inbound.CHANNEL] = self.reachable

    async def destination(self) -> dict | None:
        return await self.teams.destination(DESTINATION)

    async def team(self) -> str:
        destination = await self.destination()
        return destination["team_id"] if destination else ""

    # ---------------------------------------------------------------- choosing the channel, the roster

    async def make_channel(self, turn_context: TurnContext, activity: dict) -> Reply:
        """`owners here`, typed by an admin in a team channel: that channel gets the questions for the owners
        and the team's members become the owners."""
        if not inbound.team_of(activity):
            return Reply("Type \"owners here\" in a channel of the team whose members answer questions for the policy owners.",
                         private=True)
        if not self.teams.is_admin(activity):
            return Reply("Only the administrators listed in SMPOLICY_TEAMS_ADMINS can choose the policy owners' channel.",
                         private=True)
        await self.teams.choose_team(turn_context, activity, DESTINATION)
        count = await self.refresh(turn_context, activity)
        await self.teams.bot.cases.audit(inbound.user_key(activity), "owners-here", "")
        return Reply(f"This channel now receives the questions people ask the policy owners; the {count} members of this "
                     "team are the owners.")

    async def refresh(self, turn_context: TurnContext, activity: dict) -> int:
        """Reload the owners (the owners' team's members) through the connector of a trusted activity. On a failed
        fetch the last roster stays only while it is at most STALE_SECONDS old: after that nobody on Teams is an
        owner until a fetch succeeds (a member removed from the team, or a bot removed from it, must not keep
        answering because the connector is down)."""
        destination = await self.destination()
        if destination is None:
            self.desk.set_owners(inbound.CHANNEL, [])
            return 0
        members = await self.teams.team_members(turn_context, activity, destination)
        if members is None:
            if time.monotonic() - self._read_at > STALE_SECONDS:
                self.desk.set_owners(inbound.CHANNEL, [])
                log.warning("teams owners' roster could not be read: owners refused until it can")
            return 0
        self.desk.set_owners(inbound.CHANNEL, list(members))
        self._read_at = time.monotonic()
        return len(members)

    # ---------------------------------------------------------------- the desk's hooks

    async def announce(self, notice: Reply) -> None:
        """A question's bare notice in the owners' channel, when one is chosen (otherwise the console lists it)."""
        destination = await self.destination()
        if destination is None:
            return
        await self.teams.post_to(destination, [notice])

    async def reachable(self, user_key: str) -> bool:
        """Whether the person has a personal chat with the bot that a proactive message can go to."""
        return await self.teams.personal_reference(user_key) is not None

    async def deliver(self, delivery: Delivery) -> None:
        """An answer to a question asked by name, in the asker's personal chat with the bot. Raises when there is
        none (any more): the answer stays undelivered and comes with the person's next personal message."""
        if await self.teams.personal_reference(delivery.user_key) is None:
            raise LookupError("no personal chat to write to")
        if not await self.teams.send_proactive(delivery.user_key, [delivery.reply]):
            raise LookupError("no conversation reference")

