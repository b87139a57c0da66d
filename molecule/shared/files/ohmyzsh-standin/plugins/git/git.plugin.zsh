alias gst='git status'
alias gl='git pull'
