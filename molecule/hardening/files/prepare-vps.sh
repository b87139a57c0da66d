#!/bin/bash
# Makes a fresh "VPS" container look like a real server before hardening (one script instead
# of many tasks: the scenario must stay fast). Argument: the client's public SSH key.
set -euo pipefail
client_key=$1

# Users: admin (password set, so password login works before hardening) and intruder (outside
# AllowUsers) get the client's key; nokey has none and badkey's file holds no valid key (both
# for the lock-out guard).
for user in admin intruder nokey badkey; do
    useradd --create-home --shell /bin/bash "$user"
    echo "$user:correct horse battery staple" | chpasswd
done
for user in admin intruder badkey; do
    install -d -m 0700 -o "$user" -g "$user" "/home/$user/.ssh"
done
for user in admin intruder; do
    install -m 0600 -o "$user" -g "$user" /dev/null "/home/$user/.ssh/authorized_keys"
    echo "$client_key" > "/home/$user/.ssh/authorized_keys"
done
install -m 0600 -o badkey -g badkey /dev/null /home/badkey/.ssh/authorized_keys
echo "ssh-ed25519 AAAAthisisnotakey badkey@example" > /home/badkey/.ssh/authorized_keys

# IPv6: Docker turns it off in containers on an IPv4-only network, and mounts /proc/sys
# read-only unless the container runs with systempaths=unconfined.
if mountpoint -q /proc/sys; then mount -o remount,rw /proc/sys; fi
for conf in all default lo; do echo 0 > "/proc/sys/net/ipv6/conf/$conf/disable_ipv6"; done

# Listeners: 80 and 443 dual-stack (stand-ins for Caddy), 5432 dual-stack (must not be
# reachable from outside), the service on 127.0.0.1:8080 only.
mkdir -p /srv/empty
listen() {
    systemd-run --quiet --unit="listen-$2" \
        python3 -m http.server --directory /srv/empty --bind "$1" "$2"
}
listen :: 80
listen :: 443
listen :: 5432
listen 127.0.0.1 8080

# A Docker container with published ports, played by a network namespace behind a veth pair
# (10.99.0.2, fd00:99::2) and a DNAT rule in a nat table of its own, as Docker's iptables-nft
# rules are: 9000 and 8443 on the VPS -> the "container" port 80. The namespace is also the
# IPv6 client of the tests.
ip netns add fakectr
ip netns exec fakectr sh -c 'echo 0 > /proc/sys/net/ipv6/conf/all/disable_ipv6'
ip link add veth-fakectr type veth peer name veth-inside
ip link set veth-inside netns fakectr
ip addr add 10.99.0.1/24 dev veth-fakectr
ip addr add fd00:99::1/64 dev veth-fakectr nodad
ip link set veth-fakectr up
ip netns exec fakectr ip addr add 10.99.0.2/24 dev veth-inside
ip netns exec fakectr ip addr add fd00:99::2/64 dev veth-inside nodad
ip netns exec fakectr ip link set veth-inside up
ip netns exec fakectr ip link set lo up
ip netns exec fakectr ip route add default via 10.99.0.1
systemd-run --quiet --unit=fakectr ip netns exec fakectr \
    python3 -m http.server --directory /srv/empty --bind 10.99.0.2 80
nft -f - <<'NFT'
table ip fakedocker {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    tcp dport { 8443, 9000 } dnat to 10.99.0.2:80
  }
}
NFT

# Ubuntu's cloud images: a drop-in that turns password login on, and cloud-init's config dir.
echo "PasswordAuthentication yes" > /etc/ssh/sshd_config.d/50-cloud-init.conf
chmod 0600 /etc/ssh/sshd_config.d/50-cloud-init.conf
mkdir -p /etc/cloud/cloud.cfg.d

# Host keys as an older install left them: RSA of 2048 bits (the role must replace it) next
# to the ECDSA key (the role must remove it).
test -s /etc/ssh/ssh_host_ecdsa_key
rm -f /etc/ssh/ssh_host_rsa_key /etc/ssh/ssh_host_rsa_key.pub
ssh-keygen -q -t rsa -b 2048 -N '' -f /etc/ssh/ssh_host_rsa_key
# OpenSSH 9.8+ loads host keys once, in the listener: reload it to offer the new one.
systemctl reload ssh.service

# Everything answers before hardening (so that "filtered" later is the firewall's doing),
# including 5432 over IPv6 from the namespace.
connect() {
    python3 -c 'import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2).close()' "$@"
}
for attempt in $(seq 50); do
    if connect ::1 80 && connect ::1 443 && connect ::1 5432 && connect 127.0.0.1 8080 \
        && ip netns exec fakectr python3 -c 'import socket; socket.create_connection(("10.99.0.2", 80), timeout=2).close()'; then
        break
    fi
    [ "$attempt" -lt 50 ] || { echo "listeners did not start" >&2; exit 1; }
    sleep 0.2
done
ip netns exec fakectr python3 -c \
    'import socket; socket.create_connection(("fd00:99::1", 5432), timeout=5).close()'
touch /etc/hardening-prepared
