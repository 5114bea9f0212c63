#!/bin/sh
# provider.sh - your provider's commands, one per line below; every one fails until
# you fill it in (kupgrade never guesses a provider command).
#   provider.sh provision CONTEXT POOL ZONE VERSION   one new node of POOL in ZONE at VERSION;
#                                                     print its Node name on the last stdout line
#   provider.sh retire CONTEXT NODE                   delete the drained NODE's machine
#   provider.sh control-plane CONTEXT VERSION         upgrade the control plane
#   provider.sh addon CONTEXT ADDON VERSION           upgrade an add-on
#   provider.sh verify CONTEXT TYPE COMPONENT VERSION exit 0 when the step's result shows
case "${1:-}" in
provision | retire | control-plane | addon | verify) ;;
*) echo "usage: provider.sh provision|retire|control-plane|addon|verify ARGS..." >&2; exit 2 ;;
esac
echo "provider.sh $1: no command set: edit examples/fleet-rollout/provider.sh" >&2
exit 2
