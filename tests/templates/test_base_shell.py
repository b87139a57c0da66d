"""base_shell's templates rendered with Ansible's own templar and the role's defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

ROLE = Path(__file__).resolve().parents[2] / "roles" / "base_shell"


def render(template: str, **overrides) -> str:
    variables = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    variables |= yaml.safe_load((ROLE / "vars" / "main.yml").read_text())
    variables |= {"ansible_managed": "Ansible managed"} | overrides
    templar = Templar(loader=DataLoader(), variables=variables)
    return templar.template(trust_as_template((ROLE / "templates" / template).read_text()))


def test_locale_file_sets_lang_and_ctype():
    text = render("etc/default/locale.j2", base_shell_locale="de_CH.UTF-8")
    assert text.startswith("#")
    assert "LANG=de_CH.UTF-8\n" in text and "LC_CTYPE=de_CH.UTF-8" in text


def test_zshrc_lists_plugins_and_pins_updates_off():
    text = render("zshrc.j2", base_shell_ohmyzsh_plugins=["git", "docker"])
    assert "plugins=(git docker)" in text
    assert "zstyle ':omz:update' mode disabled" in text
    assert 'source "$ZSH/oh-my-zsh.sh"' in text
    assert "export ZSH=/usr/local/share/oh-my-zsh\n" in text


@pytest.mark.parametrize("extra", ["", "alias ll='ls -l'"])
def test_zshrc_extra_lines_only_when_given(extra: str):
    text = render("zshrc.j2", base_shell_zshrc_extra=extra)
    assert text.rstrip().endswith(extra or 'source "$ZSH/oh-my-zsh.sh"')


def test_theme_with_odd_characters_is_quoted():
    assert "ZSH_THEME='my theme'" in render("zshrc.j2", base_shell_ohmyzsh_theme="my theme")
