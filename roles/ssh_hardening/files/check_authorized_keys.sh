#!/bin/sh
# Lock-out guard: does USER have a key sshd will accept?
#   check_authorized_keys.sh USER 'AUTHORIZED_KEYS_FILES' ['ALLOW_GROUPS'] [HOME]
# AUTHORIZED_KEYS_FILES is sshd's AuthorizedKeysFile value (tokens %h %u %%; relative paths
# are under HOME, which defaults to the user's home directory). Prints one line per key found ("ok FILE: FINGERPRINT") or per problem
# ("problem: ..."), and exits 0 only when at least one usable key exists.
set -u
user=$1
files=$2
allow_groups=${3:-}
found=0

problem() { echo "problem: $*"; }

if ! entry=$(getent passwd "$user"); then
    problem "user $user does not exist"
    exit 1
fi
home=${4:-$(printf '%s' "$entry" | cut -d: -f6)}

# sshd's StrictModes: the file and the directories above it must belong to the user or root
# and must not be writable by group or others.
strict_ok() {
    owner=$(stat -c %U "$1") mode=$(stat -c %a "$1")
    if [ "$owner" != "$user" ] && [ "$owner" != root ]; then
        problem "$1 belongs to $owner (must be $user or root)"
        return 1
    fi
    if [ $((0$mode & 022)) -ne 0 ]; then
        problem "$1 is writable by group or others (mode $mode; chmod go-w $1)"
        return 1
    fi
}

if [ -n "$allow_groups" ]; then
    member=0
    for group in $(id -nG "$user"); do
        for allowed in $allow_groups; do
            [ "$group" = "$allowed" ] && member=1
        done
    done
    [ $member = 1 ] || problem "$user is in none of AllowGroups ($allow_groups)"
    [ $member = 1 ] || exit 1
fi

for pattern in $files; do
    [ "$pattern" = none ] && continue
    file=$(printf '%s' "$pattern" | sed -e "s|%h|$home|g" -e "s|%u|$user|g" -e 's|%%|%|g')
    case $file in /*) ;; *) file="$home/$file" ;; esac
    [ -e "$file" ] || continue
    if [ ! -s "$file" ]; then
        problem "$file is empty"
        continue
    fi
    strict_ok "$file" || continue
    dir_ok=1
    dir=$(dirname "$file")
    while [ "$dir" != / ]; do
        strict_ok "$dir" || { dir_ok=0; break; }
        [ "$dir" = "$home" ] && break
        dir=$(dirname "$dir")
    done
    [ $dir_ok = 1 ] || continue
    if fingerprints=$(ssh-keygen -l -f "$file" 2>/dev/null) && [ -n "$fingerprints" ]; then
        printf '%s\n' "$fingerprints" | sed "s|^|ok $file: |"
        found=1
    else
        problem "$file holds no valid public key (ssh-keygen -l -f $file)"
    fi
done

[ $found = 1 ] || problem "no usable authorized key for $user (looked in: $files)"
[ $found = 1 ]
