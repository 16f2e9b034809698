"""工作日历: China's public holidays and 调休 make-up working days.

Working days are Monday to Friday, except the dates the calendar marks as holidays, plus the
weekend dates it marks as make-up working days (调休上班). The exceptions live in a table an
administrator maintains; a year without any row falls back to the bundled State Council
schedule in ``data/`` (see :mod:`services.calendar.defaults`).
"""
