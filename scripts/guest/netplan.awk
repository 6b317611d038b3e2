# hostflow test guest: a small reader for netplan-style "version: 2"
# network-config (the NoCloud subset hostflow writes), for busybox awk.
#
# Input: the network-config file. Output: one tab-separated line per fact,
# in file order, for the root init to apply:
#   ID  mac      52:54:00:12:34:56   (match: macaddress, lower-cased)
#   ID  name     eth*                (match: name, a shell glob)
#   ID  setname  eth0
#   ID  addr     10.213.0.5/24       (one line per address)
#   ID  gw4      10.213.0.1
#   ID  gw6      fd00::1
#   ID  mtu      1450
#   ID  dhcp4    true
#   ID  dns      10.213.0.1          (nameservers: addresses)
#   ID  route    TO  VIA             (routes: - to: X  via: Y)
# ID is the key under "ethernets:". Only "ethernets" is read; a top-level
# "network:" wrapper (as cloud-init also accepts) is skipped.
#
# YAML support: block mappings and block sequences by indentation, flow
# sequences ([a, b]) as values, quoted scalars, comments.

function trim(s) {
    sub(/^[ \t]+/, "", s)
    sub(/[ \t\r]+$/, "", s)
    return s
}

function unq(s) {
    s = trim(s)
    if (s ~ /^".*"$/ || s ~ /^'.*'$/)
        s = substr(s, 2, length(s) - 2)
    return s
}

function path(   i, p) {
    p = ""
    for (i = 1; i <= depth; i++)
        p = p (i > 1 ? "/" : "") skey[i]
    return p
}

function pop_to(ind, strict) {
    while (depth > 0 && (sind[depth] > ind || (!strict && sind[depth] == ind)))
        depth--
}

function push(ind, key) {
    depth++
    sind[depth] = ind
    skey[depth] = key
}

# Record one scalar value found at path P.
function fact(p, val,   n, parts, i, id, rest) {
    n = split(p, parts, "/")
    i = 1
    if (parts[1] == "network")
        i = 2
    if (parts[i] != "ethernets" || n < i + 2)
        return
    id = parts[i + 1]
    if (!(id in seen)) {
        seen[id] = 1
        order[++nids] = id
    }
    rest = parts[i + 2]
    for (i = i + 3; i <= n; i++)
        rest = rest "/" parts[i]
    if (rest == "match/macaddress")
        out(id, "mac", tolower(val))
    else if (rest == "match/name")
        out(id, "name", val)
    else if (rest == "set-name")
        out(id, "setname", val)
    else if (rest == "addresses")
        out(id, "addr", val)
    else if (rest == "gateway4")
        out(id, "gw4", val)
    else if (rest == "gateway6")
        out(id, "gw6", val)
    else if (rest == "mtu")
        out(id, "mtu", val)
    else if (rest == "dhcp4")
        out(id, "dhcp4", tolower(val))
    else if (rest == "nameservers/addresses")
        out(id, "dns", val)
    else if (rest ~ /^routes\/#[0-9]+\/(to|via)$/) {
        split(rest, parts, "/")
        rkey = id SUBSEP parts[2]
        if (!(rkey in rseen)) {
            rseen[rkey] = 1
            rorder[++nroutes] = rkey
        }
        route[rkey, parts[3]] = val
    }
}

function out(id, what, val) {
    lines[++nlines] = id "\t" what "\t" val
}

# A value: a flow sequence gives one fact per element.
function value(p, v,   n, items, i) {
    v = trim(v)
    if (v ~ /^\[.*\]$/) {
        v = substr(v, 2, length(v) - 2)
        n = split(v, items, ",")
        for (i = 1; i <= n; i++)
            if (trim(items[i]) != "")
                fact(p, unq(items[i]))
    } else if (v != "") {
        fact(p, unq(v))
    }
}

# "key: value" at indentation IND.
function keyline(ind, s,   k, v) {
    if (!match(s, /:([ \t]|$)/))
        return 0
    k = unq(substr(s, 1, RSTART - 1))
    v = substr(s, RSTART + 1)
    pop_to(ind, 0)
    push(ind, k)
    value(path(), v)
    return 1
}

BEGIN { depth = 0; nids = 0; nlines = 0; nroutes = 0; item = 0 }

{
    line = $0
    sub(/\r$/, "", line)
    # Comments: '#' at the start or after blank space (not inside a MAC or
    # a quoted value in practice).
    sub(/(^|[ \t])#.*$/, "", line)
    if (line ~ /^[ \t]*$/)
        next
    if (line ~ /^(---|\.\.\.)/)
        next
    match(line, /^ */)
    ind = RLENGTH
    s = substr(line, ind + 1)
    if (s ~ /^-([ \t]|$)/) {
        # A sequence item; it belongs to the nearest key at a smaller
        # indentation, or at the same one ("key:\n- a" is valid YAML).
        pop_to(ind, 1)
        while (depth > 0 && substr(skey[depth], 1, 1) == "#" && sind[depth] >= ind)
            depth--
        rest = substr(s, 2)
        match(rest, /^[ \t]*/)
        cind = ind + 1 + RLENGTH
        rest = trim(rest)
        if (rest ~ /^[^"'\[{][^:]*:([ \t]|$)/ || rest ~ /^"[^"]*":([ \t]|$)/) {
            # "- key: value": a mapping inside the sequence.
            push(ind + 1, "#" (++item))
            keyline(cind, rest)
        } else {
            value(path(), rest)
        }
        next
    }
    keyline(ind, s)
}

END {
    for (i = 1; i <= nlines; i++)
        print lines[i]
    for (i = 1; i <= nroutes; i++) {
        rkey = rorder[i]
        split(rkey, parts, SUBSEP)
        print parts[1] "\troute\t" route[rkey, "to"] "\t" route[rkey, "via"]
    }
}
