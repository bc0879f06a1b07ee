# Class challenge: the teacher sets a clip with ground truth; students submit the Video lab's settings
# under a name; the server scores them (bgapp.challenge) and the leaderboard shows F, method and settings.
from __future__ import annotations

from ui.challenge import board, leaderboard, owner, page_intro, pick, submit_section, teacher_section

page_intro()
b = board()
token = owner()
challenge = pick(b)
if challenge is not None:
    submit_section(b, challenge, token)
    leaderboard(b, challenge, token)  # with each row's actions
teacher_section(b, challenge)
