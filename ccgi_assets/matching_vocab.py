"""The course-match vocabulary shared by the matcher, its contract and the LEA report."""

MATCH_STATUSES = ["matched", "matched_subject_mismatch", "ambiguous", "not_on_cmp"]
MATCH_METHODS = ["local_course_code", "transcript_abbreviation", "title"]
#: statuses an LEA must act on (listed course by course in its report)
NEEDS_ACTION = ["not_on_cmp", "matched_subject_mismatch", "ambiguous"]
#: reasons an LEA must act on even though the course matched (listed with the courses that need action)
NEEDS_ACTION_REASONS = ["state_code_level_differs"]
