"""Drives wasndr's MCP server with the official MCP Python SDK (`mcp` from PyPI).

Run by wasndr/tests/mcp_python.rs, which starts `wasndr serve` on a temporary database, prepares
accounts, keys and session records, and passes them in the environment variable WASNDR_MCP_TEST as
JSON. Usage: python mcp_checks.py SCENARIO. Exits non-zero with a message on the first failed check.
"""

import asyncio
import json
import os
import sys
import uuid

import httpx2
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

# The product's tool set, exactly (docs/product.md, "MCP server").
TOOLS = {
    "send_whatsapp_message",
    "send_whatsapp_media",
    "send_group_message",
    "send_group_media",
    "send_poll",
    "check_whatsapp_number",
    "get_message_history",
    "list_groups",
    "get_group_info",
    "get_group_participants",
    "export_group_members",
    "create_group",
    "add_group_participants",
    "remove_group_participants",
    "create_api_account",
    "list_api_accounts",
    "archive_api_account",
    "list_sessions",
    "get_session_status",
    "get_usage",
}

CFG = json.loads(os.environ["WASNDR_MCP_TEST"])


class CheckFailed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise CheckFailed(message)


def http_client(key, mode="auto"):
    """An SDK client over Streamable HTTP; mode "legacy" forces the initialize handshake of pre-2026
    protocol versions, as most deployed agents still speak."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    transport = streamable_http_client(CFG["url"], http_client=httpx2.AsyncClient(headers=headers))
    return Client(transport, mode=mode)


def describe(result):
    return json.dumps(
        {"isError": result.is_error, "structured": result.structured_content, "text": text_of(result)}
    )


def text_of(result):
    return " ".join(getattr(c, "text", "") for c in result.content)


async def ok(client, tool, args):
    """Calls a tool that must succeed; returns its `data` (and `meta` for lists)."""
    result = await client.call_tool(tool, args)
    check(not result.is_error, f"{tool}({args}) failed: {describe(result)}")
    structured = result.structured_content
    check(isinstance(structured, dict) and "data" in structured, f"{tool}: no data: {describe(result)}")
    # Clients that only show text get the same JSON.
    check(json.loads(text_of(result)) == structured, f"{tool}: text and structured content differ")
    return structured


async def refused(client, tool, args, code):
    """Calls a tool that must be refused as a tool result (isError) with the REST error code `code`."""
    result = await client.call_tool(tool, args)
    check(result.is_error is True, f"{tool}({args}) should be refused with {code}: {describe(result)}")
    error = (result.structured_content or {}).get("error", {})
    check(error.get("code") == code, f"{tool}: expected {code}, got {describe(result)}")
    text = text_of(result)
    check(error.get("hint") and error["hint"] in text, f"{tool}: the text must say what to do: {text}")
    return error


async def tools(key):
    async with http_client(key) as client:
        listed = await client.list_tools()
        names = [t.name for t in listed.tools]
        check(len(names) == len(set(names)), f"duplicate tools: {names}")
        check(set(names) == TOOLS, f"tools differ: extra {set(names) - TOOLS}, missing {TOOLS - set(names)}")
        for tool in listed.tools:
            check(len(tool.description or "") >= 60, f"{tool.name}: description too thin")
            schema = tool.input_schema
            check(schema.get("type") == "object", f"{tool.name}: schema is not an object")
            check(schema.get("additionalProperties") is False, f"{tool.name}: unknown arguments accepted")
            for name, prop in schema.get("properties", {}).items():
                check(prop.get("description"), f"{tool.name}.{name} has no description")
            if "sessionId" in schema.get("properties", {}):
                described = schema["properties"]["sessionId"]["description"]
                check("list_sessions" in described, f"{tool.name}: sessionId must say where ids come from")
                check("sessionId" not in schema.get("required", []), f"{tool.name}: sessionId is optional")
        by_name = {t.name: t for t in listed.tools}
        phone = by_name["send_whatsapp_message"].input_schema["properties"]["phone"]["description"]
        check("country code" in phone and "+" in phone, f"phone format not described: {phone}")
        options = by_name["send_poll"].input_schema["properties"]["options"]
        check(options.get("minItems") == 2 and options.get("maxItems") == 12, f"poll options: {options}")
        limit = by_name["get_message_history"].input_schema["properties"]["limit"]
        check(limit.get("maximum") == 500, f"history limit: {limit}")
        text = by_name["send_whatsapp_message"].input_schema["properties"]["text"]
        check(text.get("maxLength") == 65536, f"text limit: {text}")
    async with http_client(key, mode="legacy") as legacy:
        check(legacy.protocol_version < "2026", f"legacy handshake: {legacy.protocol_version}")
        check({t.name for t in (await legacy.list_tools()).tools} == TOOLS, "legacy clients see the tools")
        usage = await ok(legacy, "get_usage", {})
        check(usage["data"]["plan"] == CFG["a"]["plan"], f"legacy caller resolved per request: {usage}")
    print(f"tools: {len(names)} tools with described schemas (modern and legacy handshakes)")


async def refusals():
    a, b = CFG["a"], CFG["b"]
    async with http_client(a["key"]) as client:
        # Quota: account A's monthly messages are used up; sessionId omitted (A has one connected session).
        error = await refused(
            client, "send_whatsapp_message", {"phone": "14155551234", "text": "hello"}, "quota_exceeded"
        )
        check(error.get("resetsAt") and error.get("limit") == 50, f"quota details: {error}")
        # Rate limit: the free trial allows 5 sends a minute; the quota refusal above took one.
        for attempt in range(10):
            result = await client.call_tool("send_whatsapp_message", {"phone": "14155551234", "text": "again"})
            code = ((result.structured_content or {}).get("error") or {}).get("code")
            if code == "rate_limited":
                break
            check(code == "quota_exceeded", f"send {attempt}: {describe(result)}")
        else:
            raise CheckFailed("the plan's 5 sends a minute were never enforced")
        # Five sends pass (the bucket refills one every 12 s, so a slow machine may see a sixth).
        check(attempt >= 4, f"rate limited after {attempt + 1} more sends; the plan allows 5 a minute")
        error = result.structured_content["error"]
        check(error.get("retryAfter", 0) >= 1 and "Wait" in text_of(result), f"retry advice: {describe(result)}")
        # Plan gate: free trial has no history or groups.
        await refused(client, "get_message_history", {}, "plan_upgrade_required")
        await refused(client, "list_groups", {"sessionId": a["session"]}, "plan_upgrade_required")
        # Bad phone, naming the field.
        error = await refused(
            client, "send_whatsapp_message", {"phone": "+0 12", "text": "x"}, "invalid_request"
        )
        check(error.get("field") == "phone", f"field: {error}")
        # Poll options outside 2..12 are the gateway's refusal, not a protocol error.
        await refused(
            client,
            "send_poll",
            {"phone": "14155551234", "question": "?", "options": ["only one"]},
            "invalid_request",
        )
        # Another account's session is not found (its existence never leaks).
        await refused(client, "get_session_status", {"sessionId": b["session"]}, "not_found")
        await refused(client, "archive_api_account", {"locationUuid": b["location"]}, "not_found")
        # Protocol misuse stays a protocol error: an unknown tool.
        try:
            await client.call_tool("send_fax", {})
            raise CheckFailed("an unknown tool must be a JSON-RPC error")
        except CheckFailed:
            raise
        except Exception as exc:  # the SDK raises the JSON-RPC error
            check("not found" in str(exc).lower(), f"unknown tool error: {exc}")
        # Arguments of the wrong shape never reach the gateway.
        result = await client.call_tool("get_usage", {"unexpected": 1})
        check(result.is_error is True and "unexpected" in text_of(result), f"bad arguments: {describe(result)}")
    async with http_client(a["limited_key"]) as client:
        # Missing scope: this key holds sessions:read only.
        error = await refused(
            client, "send_whatsapp_message", {"phone": "14155551234", "text": "x"}, "missing_scope"
        )
        check("messages:send" in error["message"], f"scope named: {error}")
        await refused(client, "create_api_account", {"name": "nope"}, "missing_scope")
        await ok(client, "list_sessions", {})
    async with http_client(b["key"]) as client:
        # B's session is recorded connected but no engine runs it: the engine says so, and the
        # quota unit taken for the attempt is given back.
        await refused(
            client,
            "send_whatsapp_message",
            {"sessionId": b["session"], "phone": "14155551234", "text": "hi"},
            "session_not_connected",
        )
        usage = await ok(client, "get_usage", {})
        check(usage["data"]["messagesUsed"] == 0, f"a send that never left is refunded: {usage}")
    print("refusals: quota, rate limit, plan gate, scope, bad phone, not found, not connected as isError results")


async def every_tool():
    """Calls all twenty tools with well-formed arguments through account B (standard plan). Tools that
    need a linked phone answer session_not_connected until sandbox mode runs a real session."""
    b = CFG["b"]
    sid = b["session"]
    group = "120363040000000000@g.us"
    inline_png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
    needs_phone = {
        "send_whatsapp_message": {"sessionId": sid, "phone": "14155551234", "text": "hi"},
        "send_whatsapp_media": {
            "sessionId": sid,
            "phone": "14155551234",
            "mediaType": "image",
            "mediaBase64": inline_png,
            "caption": "a dot",
        },
        "send_group_message": {"sessionId": sid, "groupJid": group, "text": "hi all"},
        "send_group_media": {
            "sessionId": sid,
            "groupJid": group,
            "mediaType": "document",
            "mediaBase64": inline_png,
            "fileName": "dot.png",
        },
        "send_poll": {"sessionId": sid, "groupJid": group, "question": "Lunch?", "options": ["yes", "no"]},
        "check_whatsapp_number": {"sessionId": sid, "phones": ["14155551234", "447700900123"]},
        "list_groups": {"sessionId": sid},
        "get_group_info": {"sessionId": sid, "groupJid": group},
        "get_group_participants": {"sessionId": sid, "groupJid": group},
        "export_group_members": {"sessionId": sid, "groupJid": group},
        "create_group": {"sessionId": sid, "subject": "Team", "participants": ["14155551234"]},
        "add_group_participants": {"sessionId": sid, "groupJid": group, "participants": ["14155551234"]},
        "remove_group_participants": {"sessionId": sid, "groupJid": group, "participants": ["14155551234"]},
    }
    called = set()
    async with http_client(b["key"]) as client:
        for tool, args in needs_phone.items():
            await refused(client, tool, args, "session_not_connected")
            called.add(tool)
        history = await ok(client, "get_message_history", {"sessionId": sid, "search": "invoice", "limit": 10})
        check(history["meta"] == {"limit": 10, "offset": 0, "total": 0}, f"history: {history}")
        called.add("get_message_history")
        created = await ok(client, "create_api_account", {"name": "Acme Corp"})
        location = created["data"]["locationUuid"]
        called.add("create_api_account")
        listed = await ok(client, "list_api_accounts", {})
        check(location in [l["locationUuid"] for l in listed["data"]], f"new account listed: {listed}")
        called.add("list_api_accounts")
        archived = await ok(client, "archive_api_account", {"locationUuid": location})
        check(archived["data"]["archivedAt"], f"archived: {archived}")
        listed = await ok(client, "list_api_accounts", {"includeArchived": False})
        check(location not in [l["locationUuid"] for l in listed["data"]], "archived accounts are hidden")
        called.add("archive_api_account")
        sessions = await ok(client, "list_sessions", {})
        check([s["sessionId"] for s in sessions["data"]] == [sid], f"sessions: {sessions}")
        called.add("list_sessions")
        status = await ok(client, "get_session_status", {"sessionId": sid})
        check(status["data"]["sessionId"] == sid and status["data"]["status"], f"status: {status}")
        called.add("get_session_status")
        usage = await ok(client, "get_usage", {})
        check(usage["data"]["plan"] == "standard" and usage["data"]["messagesUsed"] == 0, f"usage: {usage}")
        called.add("get_usage")
    check(called == TOOLS, f"not called: {TOOLS - called}")
    print(f"every_tool: {len(called)} tools called")


async def caller_round(who, rounds):
    """One account's view, repeatedly, while the other account does the same."""
    me = CFG[who]
    other = CFG["b" if who == "a" else "a"]
    async with http_client(me["key"]) as client:
        mine = []
        for i in range(rounds):
            name = f"{who}-{i}-{uuid.uuid4().hex[:8]}"
            created = await ok(client, "create_api_account", {"name": name})
            mine.append(created["data"]["locationUuid"])
            listed = await ok(client, "list_api_accounts", {"limit": 500})
            uuids = {l["locationUuid"] for l in listed["data"]}
            names = [l["name"] for l in listed["data"]]
            check(set(mine) <= uuids, f"{who} misses its own accounts")
            check(other["location"] not in uuids, f"{who} sees the other account's location")
            check(all(not n.startswith(("a-", "b-")) or n.startswith(f"{who}-") for n in names),
                  f"{who} sees another caller's names: {names}")
            sessions = await ok(client, "list_sessions", {})
            check([s["sessionId"] for s in sessions["data"]] == [me["session"]], f"{who} sessions: {sessions}")
            usage = await ok(client, "get_usage", {})
            check(usage["data"]["plan"] == me["plan"], f"{who} sees plan {usage['data']['plan']}")
            await refused(client, "get_session_status", {"sessionId": other["session"]}, "not_found")
    return who


async def two_callers():
    done = await asyncio.gather(caller_round("a", 8), caller_round("b", 8))
    check(sorted(done) == ["a", "b"], f"both callers finished: {done}")
    print("two_callers: concurrent callers with different keys saw only their own data")


async def unauthorized():
    """No key, an unknown key and a revoked key are refused by HTTP before MCP."""
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    headers = {"Accept": "application/json, text/event-stream"}
    async with httpx2.AsyncClient() as http:
        keys = [None, "wsndr_unknown0000000000000000000000000000"]
        if CFG.get("revoked_key"):
            keys.append(CFG["revoked_key"])
        for key in keys:
            sent = dict(headers)
            if key:
                sent["Authorization"] = f"Bearer {key}"
            response = await http.post(CFG["url"], json=body, headers=sent)
            check(response.status_code == 401, f"key {key!r:.12}: {response.status_code} {response.text}")
            check(response.json()["error"]["code"] == "unauthorized", response.text)
    # The SDK client fails to connect with a bad key instead of running with someone else's.
    try:
        async with http_client("wsndr_unknown0000000000000000000000000000") as client:
            await client.list_tools()
        raise CheckFailed("a client with an unknown key connected")
    except CheckFailed:
        raise
    except Exception:
        pass
    print("unauthorized: 401 without a valid key")


async def stdio():
    params = StdioServerParameters(
        command=CFG["binary"],
        args=["--database", CFG["database"], "mcp", "--stdio"],
        env={"WASNDR_API_KEY": CFG["a"]["key"], "WASNDR_LOG": "debug"},
    )
    async with Client(params) as client:
        listed = await client.list_tools()
        check({t.name for t in listed.tools} == TOOLS, "stdio lists the twenty tools")
        usage = await ok(client, "get_usage", {})
        check(usage["data"]["plan"] == CFG["a"]["plan"], f"stdio acts as the key's account: {usage}")
        await refused(client, "send_whatsapp_message", {"phone": "14155551234", "text": "x"}, "quota_exceeded")
        await refused(client, "get_message_history", {}, "plan_upgrade_required")
        sessions = await ok(client, "list_sessions", {})
        check([s["sessionId"] for s in sessions["data"]] == [CFG["a"]["session"]], f"stdio sessions: {sessions}")
    print("stdio: wasndr mcp --stdio spawned by the SDK's stdio client")


async def poll(what, attempt, seconds=60):
    """Retries `attempt()` until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        value = await attempt()
        if value:
            return value
        check(asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}")
        await asyncio.sleep(0.5)


async def sandbox_every_tool():
    """All twenty tools against `wasndr serve --sandbox` with a session linked to a virtual phone.

    The sandbox routes (docs/sandbox.md): POST /sandbox/phones {phone}, POST /sandbox/sessions/{sessionId}/scan
    {phone}, POST /sandbox/phones/{phone}/send {to, text}, GET /sandbox/phones/{phone}/messages; answers in
    the API's envelope ({"success": true, "data": ...})."""
    key = CFG["b"]["key"]
    rest = CFG["rest"]
    own, contact, third, fourth = "15550001111", "15550002222", "15550003333", "15550004444"
    async with httpx2.AsyncClient(base_url=rest, headers={"Authorization": f"Bearer {key}"}, timeout=60) as api:

        async def call(method, path, **kwargs):
            response = await api.request(method, path, **kwargs)
            check(response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}")
            return response.json()

        location = (await call("POST", "/locations", json={"name": "Sandbox"}))["data"]["locationUuid"]
        session = (await call("POST", "/sessions", json={"locationUuid": location, "name": "Main"}))["data"]
        sid = session["sessionId"]

        async def qr_ready():
            return (await call("GET", f"/sessions/{sid}/qr"))["data"]["status"] == "qr_ready"

        await poll("the QR", qr_ready)
        for phone in (own, contact, third, fourth):
            await call("POST", "/sandbox/phones", json={"phone": phone})
        await call("POST", f"/sandbox/sessions/{sid}/scan", json={"phone": own})

        async def connected():
            return (await call("GET", f"/sessions/{sid}/status"))["data"]["status"] == "connected"

        await poll("the session to connect", connected)

        async def received(phone, text):
            async def found():
                messages = (await call("GET", f"/sandbox/phones/{phone}/messages"))["data"]
                return any(text in json.dumps(m) for m in messages)
            await poll(f"{text!r} at {phone}", found)

        called = set()
        png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
        async with http_client(key) as client:
            # sessionId omitted: the account's only connected session.
            checked = await ok(client, "check_whatsapp_number", {"phones": [contact, "19998887777"]})
            check([c["exists"] for c in checked["data"]] == [True, False], f"check: {checked}")
            called.add("check_whatsapp_number")
            await ok(client, "send_whatsapp_message", {"phone": contact, "text": "hello from mcp"})
            await received(contact, "hello from mcp")
            called.add("send_whatsapp_message")
            await ok(
                client,
                "send_whatsapp_media",
                {"phone": contact, "mediaType": "image", "mediaBase64": png, "caption": "a dot from mcp"},
            )
            await received(contact, "a dot from mcp")
            called.add("send_whatsapp_media")
            group = await ok(client, "create_group", {"subject": "MCP team", "participants": [contact, third]})
            gid = group["data"]["jid"]
            called.add("create_group")
            await ok(client, "send_group_message", {"groupJid": gid, "text": "hi group from mcp"})
            await received(third, "hi group from mcp")
            called.add("send_group_message")
            await ok(
                client,
                "send_group_media",
                {"groupJid": gid, "mediaType": "document", "mediaBase64": png, "fileName": "dot.png"},
            )
            called.add("send_group_media")
            await ok(client, "send_poll", {"groupJid": gid, "question": "Lunch?", "options": ["yes", "no"]})
            called.add("send_poll")
            groups = await ok(client, "list_groups", {})
            check(gid in [g["jid"] for g in groups["data"]], f"groups: {groups}")
            called.add("list_groups")
            info = await ok(client, "get_group_info", {"groupJid": gid})
            check(info["data"]["subject"] == "MCP team", f"info: {info}")
            called.add("get_group_info")
            added = await ok(client, "add_group_participants", {"groupJid": gid, "participants": [fourth]})
            check(added["data"][0]["success"], f"add: {added}")
            called.add("add_group_participants")
            members = await ok(client, "get_group_participants", {"groupJid": gid})
            phones = {m["phone"] for m in members["data"]}
            check({contact, third, fourth} <= phones, f"members: {members}")
            called.add("get_group_participants")
            removed = await ok(client, "remove_group_participants", {"groupJid": gid, "participants": [fourth]})
            check(removed["data"][0]["success"], f"remove: {removed}")
            called.add("remove_group_participants")
            exported = await ok(client, "export_group_members", {"groupJid": gid})
            check(fourth not in {m["phone"] for m in exported["data"]}, f"export: {exported}")
            called.add("export_group_members")
            await call("POST", f"/sandbox/phones/{contact}/send", json={"to": own, "text": "invoice 42 attached"})

            async def in_history():
                found = await ok(client, "get_message_history", {"search": "INVOICE 42"})
                return found["meta"]["total"] >= 1 and found
            history = await poll("the incoming message in history", in_history)
            check(history["data"][0]["fromMe"] is False, f"history: {history}")
            called.add("get_message_history")
            status = await ok(client, "get_session_status", {})
            check(status["data"]["status"] == "connected" and status["data"]["phone"] == own, f"status: {status}")
            called.add("get_session_status")
            sessions = await ok(client, "list_sessions", {})
            check(sid in [s["sessionId"] for s in sessions["data"]], f"sessions: {sessions}")
            called.add("list_sessions")
            created = await ok(client, "create_api_account", {"name": "Second customer"})
            called.add("create_api_account")
            listed = await ok(client, "list_api_accounts", {})
            check(created["data"]["locationUuid"] in [l["locationUuid"] for l in listed["data"]], "listed")
            called.add("list_api_accounts")
            await ok(client, "archive_api_account", {"locationUuid": created["data"]["locationUuid"]})
            called.add("archive_api_account")
            usage = await ok(client, "get_usage", {})
            check(usage["data"]["messagesUsed"] == 5, f"five sends, five units: {usage}")
            called.add("get_usage")
    check(called == TOOLS, f"not called: {TOOLS - called}")
    print("sandbox_every_tool: 20 tools through a session linked to a virtual phone")


SCENARIOS = {
    "tools": lambda: tools(CFG["a"]["key"]),
    "refusals": refusals,
    "every_tool": every_tool,
    "two_callers": two_callers,
    "unauthorized": unauthorized,
    "stdio": stdio,
    "sandbox_every_tool": sandbox_every_tool,
}


def main():
    name = sys.argv[1]
    try:
        asyncio.run(SCENARIOS[name]())
    except CheckFailed as failed:
        print(f"FAILED {name}: {failed}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
