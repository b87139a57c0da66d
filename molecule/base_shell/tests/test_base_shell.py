"""Behaviour of base_shell on the converged VPS containers (Debian 13 and 12)."""

import base64

import pytest

USERS = {"root": "/root", "deploy": "/home/deploy"}


@pytest.mark.parametrize("user", USERS)
def test_zsh_is_the_login_shell(host, user):
    assert host.user(user).shell == "/usr/bin/zsh"


@pytest.mark.parametrize("user", USERS)
def test_interactive_zsh_loads_ohmyzsh_and_plugins_without_errors(host, user):
    probe = (
        "print -r -- omz=$OMZ_STANDIN_VERSION plugins=${(j:,:)plugins} "
        "gst=$+aliases[gst] fzf=$+functions[fzf-history-widget] "
        "suggest=$+functions[_zsh_autosuggest_start] ctype=$LC_CTYPE\n"
    )
    # base64 keeps the zsh expansions away from the shells in between.
    encoded = base64.b64encode(probe.encode()).decode()
    host.run_test(
        "echo %s | base64 -d > /tmp/omz-probe.zsh && chmod 0644 /tmp/omz-probe.zsh", encoded
    )
    # Under a pseudo-terminal, as in an SSH login: fzf's key bindings need zle, which zsh
    # refuses without one. script(1) merges stderr into the output, so any error shows.
    result = host.run(
        "runuser -l %s -c %s", user, "script -qec 'zsh -i /tmp/omz-probe.zsh' /dev/null"
    )
    assert result.rc == 0, result.stdout + result.stderr
    assert result.stderr == ""
    assert result.stdout.replace("\r", "").strip() == (
        "omz=v1 plugins=git,fzf,zsh-autosuggestions gst=1 fzf=1 suggest=1 ctype=en_US.UTF-8"
    )


def test_users_own_zshrc_lines_survive(host):
    zshrc = host.file("/home/deploy/.zshrc").content_string
    assert "alias myown='echo mine'" in zshrc
    assert zshrc.index("BEGIN ANSIBLE MANAGED BLOCK") < zshrc.index("alias myown")
    assert host.run("runuser -l deploy -c \"zsh -i -c 'myown'\"").stdout.strip() == "mine"


def test_ohmyzsh_checkout_is_at_the_pin(host):
    head = host.check_output("git -C /usr/local/share/oh-my-zsh rev-parse HEAD")
    v1 = host.check_output("git -C /srv/git/ohmyzsh.git rev-parse v1^{commit}")
    assert head == v1
    assert host.check_output("git -C /usr/local/share/oh-my-zsh status --porcelain") == ""


def test_locale_is_generated_and_default(host):
    assert "en_US.utf8" in host.check_output("locale -a").split()
    default = host.file("/etc/default/locale").content_string
    assert "LANG=en_US.UTF-8" in default and "LC_CTYPE=en_US.UTF-8" in default
    # A UTF-8 locale that really exists: locale(1) warns on stderr when it does not.
    result = host.run("env -i LANG=en_US.UTF-8 LC_ALL=en_US.UTF-8 locale charmap")
    assert result.stdout.strip() == "UTF-8"
    assert result.stderr == ""


def test_packages_are_installed_and_nothing_left_to_upgrade(host):
    for name in ("zsh", "fzf", "zsh-autosuggestions", "locales"):
        assert host.package(name).is_installed
    # check_output: a failing apt-get must not read as nothing to upgrade.
    simulated = host.check_output("apt-get -s dist-upgrade").splitlines()
    assert [line for line in simulated if line.startswith("Inst ")] == []
