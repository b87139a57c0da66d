# Like oh-my-zsh's fzf plugin: fzf's own integration when it has one (fzf >= 0.48),
# else Debian's example scripts.
if fzf --zsh >/dev/null 2>&1; then
  eval "$(fzf --zsh)"
else
  source /usr/share/doc/fzf/examples/key-bindings.zsh
  [[ -f /usr/share/doc/fzf/examples/completion.zsh ]] && source /usr/share/doc/fzf/examples/completion.zsh
fi
