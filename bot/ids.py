"""Every callback_id, action_id and block_id, shared by the builders that emit them and the
listeners that match them."""

from enum import StrEnum


class Callback(StrEnum):
    KRA_NEW = "kra_new"
    KRA_EDIT = "kra_edit"
    KRA_REVIEW = "kra_review"
    OBJECTIVE_NEW = "objective_new"
    OBJECTIVE_EDIT = "objective_edit"
    OBJECTIVE_CLOSE = "objective_close"
    CHECKIN = "checkin"
    SPRINT_START = "sprint_start"
    SPRINT_END = "sprint_end"
    SOURCE = "source"
    SETTINGS = "workspace_settings"
    MY_REMINDERS = "my_reminders"  # App Home's *Change* beside one's own reminders
    KPI_LOG = "kpi_log"  # *Log a value*: one measurement of one of the person's KPIs


class Step(StrEnum):
    """Workflow Builder custom steps: the callback_ids under `functions` in manifest.yml."""

    CHECKIN = "checkin_key_result"
    LOG_KPI = "log_kpi_measurement"
    OBJECTIVE_STATUS = "get_objective_status"
    ASK_CHECKIN = "ask_for_checkin"


class Option(StrEnum):
    """Values of static options the forms read back."""

    NONE = "none"  # the "no parent / no KRA" option: a static select cannot be cleared otherwise
    MILESTONE = "milestone"  # the key result row's "done / not done" checkbox
    ON = "on"  # a switch's one checkbox in `/okr settings`, ticked
    # A key result row's overflow menu: each option's value is "<verb> <reference>", "checkin KR-7"
    ROW_CHECKIN = "checkin"  # the check-in form for that key result only
    ROW_EDIT = "edit"  # the edit form of its objective
    ROW_FOLLOW = "follow"  # follow its objective
    ROW_UNFOLLOW = "unfollow"
    ROW_SHARE = "share"  # post its objective's card into the channel
    ROW_SHOW = "show"  # an objective row of `/okr list`: its card, as *Show* answers


class Action(StrEnum):
    HOME_NEW_KRA = "home_new_kra"
    HOME_REMINDERS = "home_reminders"  # *Change* one's own reminders
    HOME_NEW_OBJECTIVE = "home_new_objective"
    HOME_CHECKIN = "home_checkin"
    OPEN_CHECKIN = "open_checkin"
    EDIT_KRA = "edit_kra"  # *Edit* under `/kra show` (value: KRA-n; rights checked on click)
    LOG_KPI = "log_kpi"  # *Log a value*: opens the KPI form (Home, help, `/kra list`)
    KPI_LOG_PICK = "kpi_log_pick"  # the form's KPI picker: a new pick prefills its last value
    # The weekly reminder DM, per key result (its block_id says which; buttons carry its id)
    REMINDER_SAME = "reminder_same"  # *No change*
    REMINDER_VALUE = "reminder_value"  # a value typed in the message (dispatch_action)
    REMINDER_CONFIDENCE = "reminder_confidence"  # read when one of the two above is used
    REMINDER_NOTE = "reminder_note"  # *Add a note*: the form for that key result only
    # The reminder's snooze buttons (each carries the reminder's week, "2026-W49")
    REMINDER_LATER = "reminder_later"  # *Remind me later today*
    REMINDER_TOMORROW = "reminder_tomorrow"  # *Tomorrow*
    REMINDER_SKIP = "reminder_skip"  # *Skip this week*
    PLAN_SPRINT = "plan_sprint"
    # `/okr show`: follow or stop following the objective shown (the button's value is its OBJ-n)
    FOLLOW_OBJECTIVE = "follow_objective"
    UNFOLLOW_OBJECTIVE = "unfollow_objective"
    # `/okr show`'s actions (the button's value is its OBJ-n; rights and state checked on click)
    SHOW_OBJECTIVE = "show_objective"  # *Show* beside each objective of `/okr list`
    EDIT_OBJECTIVE = "edit_objective"
    CLOSE_OBJECTIVE = "close_objective"
    SHARE_OBJECTIVE = "share_objective"  # post the card into the channel the command ran in
    REVIEW_SPRINT = "review_sprint"
    # The first week's guide on App Home (its own ids: a view's action_ids are unique)
    GUIDE_NEW_KRA = "guide_new_kra"
    GUIDE_ADD_KPIS = "guide_add_kpis"
    GUIDE_NEW_OBJECTIVE = "guide_new_objective"
    # Input elements: one action_id per element kind is enough, the block_id says which field.
    INPUT = "input"
    # *Show all* under a folded `/okr list` (the button's value is the list's own words, e.g. "all 2026-Q4")
    SHOW_ALL_OBJECTIVES = "show_all_objectives"
    CHECKIN_NEXT = "checkin_next"  # the check-in form's next page
    ADD_KEY_RESULT = "add_key_result"  # the New objective form's *Add key result*: one more group
    # The settings modal's time zone picker: its options come from us, so it needs its own id.
    PICK_TIMEZONE = "pick_timezone"
    # Each key result row's overflow (`/okr show`, the shared card): option values "<verb> <ref>"
    KEY_RESULT_MENU = "key_result_menu"
    # App Home's *Check in* beside one key result in *Needs you this week* (value: its KR-n)
    CHECKIN_KEY_RESULT = "checkin_key_result"
    HIDE_GUIDE = "hide_guide"  # *Hide this guide* under the first week's guide on App Home
    # An objective row of `/okr list` the reader may act on: Show / Check in / Edit / Share
    # (values as KEY_RESULT_MENU's, with the OBJ-n); other rows keep their *Show* button.
    OBJECTIVE_MENU = "objective_menu"
    ADD_KPI = "add_kpi"  # the New KRA form's *Add KPI*: one more KPI group
    # A KRA's row in `/kra list`: its menu (values "show KRA-3", "edit KRA-3", "log KPI-7"), or
    # *Show* alone for a reader who may only look (value KRA-3); rights and state checked on click
    KRA_ROW = "kra_row"
    SHOW_KRA = "show_kra"
    # The settings modal's holiday calendar pickers (by name; their options come from us too)
    PICK_HOLIDAY_COUNTRY = "pick_holiday_country"
    PICK_HOLIDAY_REGION = "pick_holiday_region"
    # *More options* in the New objective / New KRA form (beside *Add …*, in KR_ADD / KPI_ADD's
    # block): every group's less used fields
    KR_MORE_OPTIONS = "kr_more_options"  # each key result's owner, weight and milestone
    KPI_MORE_OPTIONS = "kpi_more_options"  # each KPI's direction


class Block(StrEnum):
    # KRA modal
    KRA_TITLE = "kra_title"
    KRA_DESCRIPTION = "kra_description"
    KRA_OWNER = "kra_owner"
    KRA_ROLE = "kra_role"
    KRA_CHANNEL = "kra_channel"
    # Log a value modal
    KPI_LOG_KPI = "kpi_log_kpi"
    KPI_LOG_VALUE = "kpi_log_value"
    KPI_LOG_NOTE = "kpi_log_note"
    # KPI rows are numbered: kpi_1_name, kpi_1_unit, kpi_1_target, kpi_1_direction
    KPI_NAME = "kpi_{n}_name"
    KPI_UNIT = "kpi_{n}_unit"
    KPI_TARGET = "kpi_{n}_target"
    KPI_DIRECTION = "kpi_{n}_direction"
    # KRA review modal: review_<kra id>_decision / review_<kra id>_note
    REVIEW_DECISION = "review_{id}_decision"
    REVIEW_NOTE = "review_{id}_note"
    # Objective modal
    OBJ_TITLE = "obj_title"
    OBJ_DESCRIPTION = "obj_description"
    OBJ_OWNER = "obj_owner"
    OBJ_CYCLE = "obj_cycle"
    OBJ_CHANNEL = "obj_channel"
    OBJ_PARENT = "obj_parent"
    OBJ_KRA = "obj_kra"
    KR_TITLE = "kr_{n}_title"
    KR_START = "kr_{n}_start"
    KR_TARGET = "kr_{n}_target"
    KR_UNIT = "kr_{n}_unit"
    KR_OWNER = "kr_{n}_owner"
    KR_WEIGHT = "kr_{n}_weight"
    KR_MILESTONE = "kr_{n}_milestone"
    # Close modal: close_<kr id>_score
    CLOSE_SCORE = "close_{id}_score"
    # Check-in modal: checkin_<kr id>_value / _confidence / _note
    CHECKIN_VALUE = "checkin_{id}_value"
    CHECKIN_CONFIDENCE = "checkin_{id}_confidence"
    CHECKIN_NOTE = "checkin_{id}_note"
    # The weekly reminder DM: reminder_<kr id>_row (with the confidence) / _value / _buttons
    REMINDER_ROW = "reminder_{id}_row"
    REMINDER_VALUE = "reminder_{id}_value"
    REMINDER_BUTTONS = "reminder_{id}_buttons"
    REMINDER_FOLLOWED = "reminder_followed"  # the objectives the person follows, and their week
    # Sprint modals
    SPRINT_NAME = "sprint_name"
    SPRINT_START = "sprint_start"
    SPRINT_END = "sprint_end"
    SPRINT_GOAL = "sprint_goal"
    SPRINT_KEY_RESULTS = "sprint_key_results"
    SPRINT_OUTCOME = "sprint_outcome"
    SPRINT_NOTE = "sprint_note"
    # Data source modal (`/okr source KR-n`)
    SOURCE_CONNECTION = "source_connection"
    SOURCE_PATH = "source_path"
    SOURCE_QUERY = "source_query"
    SOURCE_POINTER = "source_pointer"
    # Workspace settings modal (`/okr settings`)
    SET_TIMEZONE = "set_timezone"
    SET_WORK_DAYS = "set_work_days"
    SET_HOLIDAY_COUNTRY = "set_holiday_country"
    SET_HOLIDAY_REGION = "set_holiday_region"
    SET_FISCAL_MONTH = "set_fiscal_month"
    SET_CHECKIN_DAY = "set_checkin_day"
    SET_CHECKIN_TIME = "set_checkin_time"
    # One's own reminders (App Home's *Change*)
    MY_DAY = "my_day"
    MY_TIME = "my_time"
    MY_KINDS = "my_kinds"
    SET_DIGEST_DAY = "set_digest_day"
    SET_DIGEST_TIME = "set_digest_time"
    SET_OWNER_SOURCES = "set_owner_sources"
    SET_UNATTENDED_STEPS = "set_unattended_steps"
    SET_AI = "set_ai"
    SOURCE_EVERY = "source_every"
    KR_ADD = "kr_add"  # the New objective form's *Add key result* button
    KR_ROW = "kr_row_{number}"  # a key result's row in `/okr show` and the shared card (KR-n's n)
    NEEDS_KR = "needs_kr_{number}"  # App Home's *Needs you this week*: a key result to check in
    NEEDS_KPI = "needs_kpi_{number}"  # … and a KPI with no value this week
    KPI_ADD = "kpi_add"  # the New KRA form's *Add KPI* button

    def of(self, **parts: object) -> str:
        """The block_id of a numbered field, e.g. Block.KPI_NAME.of(n=2) -> 'kpi_2_name'."""
        return self.value.format(**parts)
