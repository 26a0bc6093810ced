"""Expected dates of the religious public holidays, 2025–2027, for `load_holidays`.

These are ASTRONOMICAL ESTIMATES, not announcements. Each Hijri month begins when the
Ministry of Habous and Islamic Affairs announces that the new crescent was sighted in
Morocco, usually the evening before, and that is often a day later than in other
countries or in a computed calendar. The estimates below count from the new moon and
its likely first visibility in Morocco; every date is loaded unconfirmed, and an
administrator corrects and confirms it once the Ministry announces it
(docs/deadlines.md).

The names are English source text marked for translation (`gettext_noop`): they are
stored as they are, and shown translated (`services.holidays_between`).
"""

from datetime import date

from django.utils.translation import gettext_noop

EID_AL_FITR = gettext_noop("Eid al-Fitr")
EID_AL_FITR_SECOND_DAY = gettext_noop("Eid al-Fitr (second day)")
EID_AL_ADHA = gettext_noop("Eid al-Adha")
EID_AL_ADHA_SECOND_DAY = gettext_noop("Eid al-Adha (second day)")
HIJRI_NEW_YEAR = gettext_noop("Islamic New Year (1 Muharram)")
MAWLID = gettext_noop("Mawlid (the Prophet's birthday)")
MAWLID_SECOND_DAY = gettext_noop("Mawlid (second day)")

# One tuple per occasion, its days in order: Eid al-Fitr is 1 Shawwal and the day
# after, Eid al-Adha 10 and 11 Dhu al-Hijjah, Mawlid 12 and 13 Rabi al-Awwal.
EXPECTED_RELIGIOUS_HOLIDAYS: tuple[tuple[tuple[date, str], ...], ...] = (
    # 2025 (1446–1447 AH)
    ((date(2025, 3, 31), EID_AL_FITR), (date(2025, 4, 1), EID_AL_FITR_SECOND_DAY)),
    ((date(2025, 6, 7), EID_AL_ADHA), (date(2025, 6, 8), EID_AL_ADHA_SECOND_DAY)),
    ((date(2025, 6, 27), HIJRI_NEW_YEAR),),
    ((date(2025, 9, 5), MAWLID), (date(2025, 9, 6), MAWLID_SECOND_DAY)),
    # 2026 (1447–1448 AH)
    ((date(2026, 3, 20), EID_AL_FITR), (date(2026, 3, 21), EID_AL_FITR_SECOND_DAY)),
    ((date(2026, 5, 27), EID_AL_ADHA), (date(2026, 5, 28), EID_AL_ADHA_SECOND_DAY)),
    ((date(2026, 6, 16), HIJRI_NEW_YEAR),),
    ((date(2026, 8, 25), MAWLID), (date(2026, 8, 26), MAWLID_SECOND_DAY)),
    # 2027 (1448–1449 AH)
    ((date(2027, 3, 10), EID_AL_FITR), (date(2027, 3, 11), EID_AL_FITR_SECOND_DAY)),
    ((date(2027, 5, 17), EID_AL_ADHA), (date(2027, 5, 18), EID_AL_ADHA_SECOND_DAY)),
    ((date(2027, 6, 6), HIJRI_NEW_YEAR),),
    ((date(2027, 8, 15), MAWLID), (date(2027, 8, 16), MAWLID_SECOND_DAY)),
)

# A sighting moves an occasion by a day or two at most; religious occasions are weeks
# apart, so any religious entry this close means the occasion was already entered.
SIGHTING_MARGIN_DAYS = 3
