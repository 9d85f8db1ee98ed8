-- tests/integration/miltertest/sign.lua -- drive a running signetd with
-- Debian's miltertest and check who gets signed:
--
--   SIGNET_PORT=8891 miltertest -s tests/integration/miltertest/sign.lua
--
-- Environment:
--   SIGNET_PORT         signetd's port on 127.0.0.1 (default 8891)
--   SIGNET_DOMAIN       a domain the SigningTable signs (default example.com)
--   SIGNET_DAEMON_NAME  a name in signing.daemon_names; when set, also checks
--                       that {daemon_name} alone makes an external client signed
--
-- Cases: an internal client (127.0.0.1) is signed; an external client
-- (192.0.2.1, no AUTH) is not; the same external client with {auth_authen}
-- at MAIL is signed; mail whose From domain has no key is not signed; a
-- message with two From fields is not signed. Prints one line per case and
-- "miltertest: N passed, N failed"; exits 1 if any failed.

local port = os.getenv("SIGNET_PORT") or "8891"
local domain = os.getenv("SIGNET_DOMAIN") or "example.com"
local daemon = os.getenv("SIGNET_DAEMON_NAME")
local sock = "inet:" .. port .. "@127.0.0.1"

local passed, failed = 0, 0

local function ok(label)
	passed = passed + 1
	mt.echo("ok   - " .. label)
end

local function fail(label, why)
	failed = failed + 1
	mt.echo("FAIL - " .. label .. ": " .. tostring(why))
end

-- Run one protocol step unless the filter negotiated it away (SMFIP_NO*),
-- and read its reply unless it asked not to give one (SMFIP_NR_*).
-- Returns "accept" when the filter accepted the message early (it will not
-- touch it: the MTA sends nothing more), nil to go on; raises on errors.
local function step(conn, name, skip, noreply, fn, ...)
	if skip ~= nil and mt.test_option(conn, skip) then
		return nil
	end
	local err = fn(conn, ...)
	if err ~= nil then
		error(name .. ": " .. tostring(err))
	end
	if noreply ~= nil and mt.test_option(conn, noreply) then
		return nil
	end
	local r = mt.getreply(conn)
	if r == SMFIR_CONTINUE or r == SMFIR_SKIP then
		return nil
	elseif r == SMFIR_ACCEPT then
		return "accept"
	end
	error(name .. ": filter answered " .. tostring(r) .. " (reject/tempfail/discard?)")
end

-- One SMTP transaction on a fresh connection. opts: ip, host, auth,
-- daemon, from (address), froms (list of From field values).
-- Returns whether a DKIM-Signature was inserted, and its value (or nil).
local function transaction(opts)
	local conn = mt.connect(sock, 8, 0.25)
	if conn == nil then
		error("cannot connect to " .. sock)
	end
	local err = mt.negotiate(conn, nil, nil, nil)
	if err ~= nil then error("negotiate: " .. tostring(err)) end

	local function finish(r)
		mt.disconnect(conn)
		return r
	end

	if opts.daemon ~= nil then
		err = mt.macro(conn, SMFIC_CONNECT, "{daemon_name}", opts.daemon, "j", "mx.example.com")
	else
		err = mt.macro(conn, SMFIC_CONNECT, "j", "mx.example.com")
	end
	if err ~= nil then error("macro connect: " .. tostring(err)) end
	if step(conn, "conninfo", SMFIP_NOCONNECT, SMFIP_NR_CONN, mt.conninfo,
	        opts.host or "client.example", opts.ip) then return finish(false), nil end
	if step(conn, "helo", SMFIP_NOHELO, SMFIP_NR_HELO, mt.helo,
	        opts.host or "client.example") then return finish(false), nil end

	local qid = "MT" .. tostring(math.random(100000, 999999))
	if opts.auth ~= nil then
		err = mt.macro(conn, SMFIC_MAIL, "i", qid, "{auth_authen}", opts.auth, "{auth_type}", "PLAIN")
	else
		err = mt.macro(conn, SMFIC_MAIL, "i", qid)
	end
	if err ~= nil then error("macro mail: " .. tostring(err)) end
	if step(conn, "mailfrom", SMFIP_NOMAIL, SMFIP_NR_MAIL, mt.mailfrom,
	        "<" .. opts.from .. ">") then return finish(false), nil end
	if step(conn, "rcptto", SMFIP_NORCPT, SMFIP_NR_RCPT, mt.rcptto,
	        "<rcpt@example.net>") then return finish(false), nil end

	local hdrs = {}
	for _, f in ipairs(opts.froms) do
		hdrs[#hdrs + 1] = { "From", f }
	end
	hdrs[#hdrs + 1] = { "To", "Rcpt <rcpt@example.net>" }
	hdrs[#hdrs + 1] = { "Subject", "miltertest " .. (opts.label or "") }
	hdrs[#hdrs + 1] = { "Date", "Mon, 23 Nov 2026 10:00:00 +0000" }
	hdrs[#hdrs + 1] = { "Message-ID", "<" .. qid .. "@" .. domain .. ">" }
	for _, h in ipairs(hdrs) do
		if step(conn, "header " .. h[1], SMFIP_NOHDRS, SMFIP_NR_HDR, mt.header,
		        h[1], h[2]) then return finish(false), nil end
	end
	if step(conn, "eoh", SMFIP_NOEOH, SMFIP_NR_EOH, mt.eoh) then
		return finish(false), nil
	end
	if step(conn, "body", SMFIP_NOBODY, SMFIP_NR_BODY, mt.bodystring,
	        "Hello from miltertest.\r\nSecond line.\r\n") then
		return finish(false), nil
	end
	err = mt.eom(conn)
	if err ~= nil then error("eom: " .. tostring(err)) end
	local reply = mt.getreply(conn)
	if reply ~= SMFIR_ACCEPT and reply ~= SMFIR_CONTINUE then
		mt.disconnect(conn)
		error("end of message not accepted (reply " .. tostring(reply) .. ")")
	end
	local signed = mt.eom_check(conn, MT_HDRINSERT, "DKIM-Signature")
	    or mt.eom_check(conn, MT_HDRADD, "DKIM-Signature")
	local value = nil
	if signed then
		value = mt.getheader(conn, "DKIM-Signature", 0)
	end
	mt.disconnect(conn)
	return signed, value
end

local function expect(label, opts, want_signed)
	opts.label = label
	-- miltertest aborts the script silently on a Lua error (mt.connect
	-- raises one when nothing listens): catch it and say what it was.
	local good, signed, value = pcall(transaction, opts)
	if not good then
		fail(label, "error: " .. tostring(signed))
	elseif signed ~= want_signed then
		fail(label, want_signed and "no DKIM-Signature inserted"
		                        or "DKIM-Signature inserted: " .. tostring(value))
	elseif want_signed and value ~= nil
	       and not string.find(value, "d=" .. domain, 1, true) then
		fail(label, "DKIM-Signature without d=" .. domain .. ": " .. value)
	else
		ok(label)
	end
end

mt.set_timeout(30)
local from = "user@" .. domain
local fromfield = "User <" .. from .. ">"

expect("internal client 127.0.0.1 is signed",
       { ip = "127.0.0.1", host = "localhost", from = from, froms = { fromfield } }, true)
expect("external client 192.0.2.1 without AUTH is not signed",
       { ip = "192.0.2.1", from = from, froms = { fromfield } }, false)
expect("external client 192.0.2.1 with {auth_authen} is signed",
       { ip = "192.0.2.1", auth = "user", from = from, froms = { fromfield } }, true)
expect("external client 2001:db8::1 without AUTH is not signed",
       { ip = "2001:db8::1", from = from, froms = { fromfield } }, false)
expect("internal client, From domain without a key, is not signed",
       { ip = "127.0.0.1", host = "localhost", from = "user@nokey.example",
         froms = { "User <user@nokey.example>" } }, false)
expect("internal client, two From fields, is not signed",
       { ip = "127.0.0.1", host = "localhost", from = from,
         froms = { fromfield, "Other <other@" .. domain .. ">" } }, false)
if daemon ~= nil then
	expect("external client with {daemon_name}=" .. daemon .. " is signed",
	       { ip = "192.0.2.1", daemon = daemon, from = from, froms = { fromfield } }, true)
	expect("external client with {daemon_name}=smtpd-in is not signed",
	       { ip = "192.0.2.1", daemon = "smtpd-in", from = from, froms = { fromfield } }, false)
end

mt.echo(string.format("miltertest: %d passed, %d failed", passed, failed))
if failed > 0 then
	os.exit(1)
end
