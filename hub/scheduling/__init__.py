"""Shared scheduling, for every service that does things at times of day on chosen days: the calendar
(weekdays, Vietnamese lunar dates, holidays), sunset and sunrise at the site, and the resolution of
prioritised rules into a timeline of values (a light's brightness, a bulletin's programme). Pure."""
