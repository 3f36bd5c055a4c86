#!/bin/bash
# Slack adapter against the fake Slack: see slack_test.py (socket).
exec python3 "$(dirname "$0")/slack_test.py" socket
