"""Who is in the workspace and in a channel, through the Web API's paginated lists (200 a page)."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient


async def _pages(call, **args) -> list[dict]:
    pages, cursor = [], None
    while True:
        page = await call(cursor=cursor, limit=200, **args)
        pages.append(page)
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return pages


async def channel_members(client: AsyncWebClient, channel: str) -> list[str]:
    """The user ids of a channel's members (conversations.members)."""
    return [m for page in await _pages(client.conversations_members, channel=channel) for m in page.get("members", [])]


async def active_humans(client: AsyncWebClient) -> list[str]:
    """The workspace's active people (users.list without bots, app users, deactivated users and Slackbot)."""
    return [u["id"] for page in await _pages(client.users_list) for u in page.get("members", [])
            if not u.get("deleted") and not u.get("is_bot") and not u.get("is_app_user") and u.get("id") != "USLACKBOT"]


async def display_names(client: AsyncWebClient, user_ids: list[str]) -> dict[str, str]:
    """Display names of a few people (the reviewers: the report form offers them), one users.info each; a person
    whose profile cannot be read is left out (shown by id)."""
    names: dict[str, str] = {}
    for user_id in user_ids:
        try:
            user = (await client.users_info(user=user_id)).get("user") or {}
        except Exception:  # a missing scope or a deleted user: keep the id
            continue
        profile = user.get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or user.get("real_name") or user.get("name")
        if name:
            names[user_id] = str(name)
    return names
