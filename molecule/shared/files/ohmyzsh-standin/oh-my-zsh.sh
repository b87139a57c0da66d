# Test stand-in for oh-my-zsh.sh: the same loading contract, none of the features.
[[ -n "$ZSH_CUSTOM" ]] || ZSH_CUSTOM="$ZSH/custom"
[[ -n "$ZSH_CACHE_DIR" ]] || ZSH_CACHE_DIR="$ZSH/cache"
[[ -n "$ZSH_COMPDUMP" ]] || ZSH_COMPDUMP="$ZSH_CACHE_DIR/.zcompdump"
fpath=("$ZSH/functions" "$ZSH/completions" $fpath)
autoload -U compaudit compinit
compinit -i -d "$ZSH_COMPDUMP"
for plugin ($plugins); do
  if [[ -f "$ZSH_CUSTOM/plugins/$plugin/$plugin.plugin.zsh" ]]; then
    source "$ZSH_CUSTOM/plugins/$plugin/$plugin.plugin.zsh"
  elif [[ -f "$ZSH/plugins/$plugin/$plugin.plugin.zsh" ]]; then
    source "$ZSH/plugins/$plugin/$plugin.plugin.zsh"
  else
    echo "[oh-my-zsh] plugin '$plugin' not found" >&2
  fi
done
if [[ -n "$ZSH_THEME" ]]; then
  if [[ -f "$ZSH_CUSTOM/$ZSH_THEME.zsh-theme" ]]; then
    source "$ZSH_CUSTOM/$ZSH_THEME.zsh-theme"
  elif [[ -f "$ZSH/themes/$ZSH_THEME.zsh-theme" ]]; then
    source "$ZSH/themes/$ZSH_THEME.zsh-theme"
  else
    echo "[oh-my-zsh] theme '$ZSH_THEME' not found" >&2
  fi
fi
OMZ_STANDIN_VERSION=$(<"$ZSH/VERSION")
