"""Codes of the incident taxonomy and other closed lists.

Codes are stable English identifiers; what a person reads comes from the locale
catalogs (key ``<list>.<code>``). Sources: Stop AAPI Hate national report
categories and the coalitions' own list of harms beyond hate crimes.
"""
from __future__ import annotations

HARM_TYPES = (
    "verbal_harassment",       # verbal or written harassment
    "physical_assault",
    "coughed_spat_on",
    "shunning",                # avoidance / shunning
    "vandalism",               # vandalism or graffiti
    "theft_robbery",
    "online_harassment",
    "discrimination_workplace",
    "discrimination_refused_service",
    "discrimination_transport",
    "discrimination_housing",  # includes eviction
    "discrimination_school",
    "discrimination_government",
    "gender_based_harassment",  # gender-based or sexual harassment
    "wage_theft",              # wage theft or labor exploitation
    "other_safety_concern",
)

MOTIVATIONS = (
    "race", "ethnicity", "gender", "religion", "age", "language",
    "immigration_status", "sexual_orientation", "disability", "unsure",
)

SITE_TYPES = (
    "street", "business", "transit", "park", "residence", "workplace",
    "school", "online", "government", "other",
)

REPORTER_ROLES = ("survivor", "witness", "ambassador", "merchant")

AGE_BANDS = ("under_18", "18_29", "30_44", "45_59", "60_74", "75_plus", "unknown")

POLICE_INVOLVEMENT = ("no", "called", "present", "report_filed", "unknown")

CONTACT_CHANNELS = ("phone", "text", "email", "in_person")

REFERRAL_NEEDS = (
    "medical", "mental_health", "legal", "victim_compensation", "housing", "labor",
    "gbv_advocate", "interpreter", "escort", "repair",
)

ACTIONS_TAKEN = (
    "checked_on_person", "de_escalated", "escorted", "gave_resources", "interpreted",
    "called_911", "first_aid", "documented", "referred", "other",
)

LOCATION_PRECISION = ("exact", "block", "neighborhood")

# A follow-up with the survivor: new -> contacted -> referred -> closed, or "could not
# reach" (tried the channel and safe times they gave; still open, tried again later).
FOLLOW_UP_STATUS = ("new", "contacted", "referred", "closed", "unreachable")

# What became of a referral to a partner service (``referral_outcome.<code>``).
REFERRAL_OUTCOMES = ("pending", "accepted", "declined", "completed", "unreachable")

CHECK_IN_STATUS = ("all_good", "concern", "needs_follow_up")

# Kinds of business a patrol checks in with (free text is kept as typed, but these read
# in every language: ``merchant_category.<code>``).
MERCHANT_CATEGORIES = ("restaurant", "bakery", "grocery", "pharmacy", "herbalist", "jewelry",
                       "salon", "gift_shop", "bank", "retail", "services", "community",
                       "other")

MEMBER_ROLES = ("ambassador", "volunteer", "coordinator", "admin")

STROLL_STATUS = ("active", "paused", "ended")

SIGNUP_STATUS = ("requested", "confirmed", "waitlisted", "refused", "cancelled")

# Why a sign-up stands as it does: the server's decision as a code, so each phone says it
# in its person's language (``signup.reason.<code>``); the record's ``reason`` keeps an
# English sentence for the console and logs.
SIGNUP_REASONS = (
    "place",             # confirmed: a place was free
    "waitlisted",        # the shift is full: on its waitlist (``waitlist_position``)
    "promoted",          # a place opened up: moved from the waitlist
    "by_coordinator",    # a coordinator confirmed it by hand
    "full",              # refused: the shift and its waitlist are full
    "overlap",           # refused: the member is on another shift at that time
    "already_signed_up",  # refused: the member is already on this shift
    "shift_ended",       # refused: the shift is over
    "shift_unknown",     # refused: no such shift (deleted before the request arrived)
    "shift_cancelled",   # cancelled: a coordinator cancelled the shift
    "cancelled",         # cancelled by the member
    "cancelled_by_coordinator",  # a coordinator took the member off the shift
)

TALLIES = ("greetings", "escorts", "cleanups", "referrals")

# Languages people speak (for merchants, members, survivors). "yue" is Cantonese.
SPOKEN_LANGUAGES = ("en", "yue", "zh-Hant", "zh-Hans", "cmn", "vi", "es", "tl", "ko", "km", "other")

# Languages the app is written in (catalogs under assets/locales, stroll/i18n.py): tier 1
# complete, tier 2 may have gaps. Also the languages a place's ``names`` may give.
APP_LANGUAGES_TIER1 = ("en", "zh-Hant", "zh-Hans", "vi", "es")
APP_LANGUAGES_TIER2 = ("tl", "ko", "km")
APP_LANGUAGES = APP_LANGUAGES_TIER1 + APP_LANGUAGES_TIER2
