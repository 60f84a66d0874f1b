"""The answer catalogue (shared/design/answers.md): the specific questions Guichet answers, in order.

The ids are a contract: the file name of each answer (`knowledge/data/answers/<id>.yml`), the NLU label
`<intent>/<id>` of its training examples and the `answer` field of `guichet nlu parse`. Administrators may add
answers beyond these; these may not be renamed or removed.
"""

from __future__ import annotations

from typing import Dict, Tuple

CATALOGUE: Tuple[Tuple[str, str], ...] = (
    ("ask_residence", "register-at-commune"),
    ("ask_residence", "family-reunification"),
    ("ask_residence", "renew-residence-card"),
    ("ask_residence", "lost-residence-card"),
    ("ask_residence", "belgian-nationality"),
    ("ask_residence", "humanitarian-regularisation"),
    ("ask_residence", "medical-regularisation"),
    ("ask_residence", "undocumented-rights"),
    ("ask_residence", "order-to-leave"),
    ("ask_asylum", "apply-for-asylum"),
    ("ask_asylum", "asylum-interview"),
    ("ask_asylum", "asylum-appeal"),
    ("ask_asylum", "asylum-reception"),
    ("ask_asylum", "orange-card"),
    ("ask_asylum", "dublin-procedure"),
    ("ask_asylum", "after-recognition"),
    ("ask_asylum", "unaccompanied-minor"),
    ("ask_work_rights", "asylum-seeker-work"),
    ("ask_work_rights", "unpaid-wages"),
    ("ask_work_rights", "undocumented-work"),
    ("ask_work_rights", "work-permit"),
    ("ask_work_rights", "work-accident"),
    ("ask_work_rights", "contract-minimum-wage"),
    ("ask_work_rights", "discrimination-at-work"),
    ("ask_job_training", "register-jobseeker"),
    ("ask_job_training", "job-search-help"),
    ("ask_job_training", "vocational-training"),
    ("ask_job_training", "cpas-job"),
    ("ask_diploma_recognition", "equivalence-secondary"),
    ("ask_diploma_recognition", "equivalence-higher"),
    ("ask_diploma_recognition", "regulated-profession"),
    ("ask_diploma_recognition", "skills-validation"),
    ("ask_housing", "find-housing"),
    ("ask_housing", "eviction"),
    ("ask_housing", "rental-deposit"),
    ("ask_housing", "shelter-tonight"),
    ("ask_housing", "housing-discrimination"),
    ("ask_interpreting", "interpreter-for-appointment"),
    ("ask_interpreting", "document-translation"),
    ("ask_language_course", "french-course"),
    ("ask_language_course", "integration-pathway"),
    ("ask_language_course", "literacy"),
    ("ask_health", "urgent-medical-aid"),
    ("ask_health", "health-insurance"),
    ("ask_health", "find-doctor"),
    ("ask_health", "mental-health"),
    ("ask_health", "pregnancy"),
    ("ask_social_aid", "integration-income"),
    ("ask_social_aid", "cpas-request"),
    ("ask_social_aid", "food-aid"),
    ("ask_social_aid", "child-benefits"),
    ("ask_legal_aid", "free-lawyer"),
    ("ask_legal_aid", "first-legal-advice"),
    ("ask_legal_aid", "police-rights"),
    ("ask_legal_aid", "report-discrimination"),
    ("ask_entrepreneurship", "start-business"),
    ("ask_entrepreneurship", "microcredit"),
    ("ask_entrepreneurship", "cooperative"),
    ("ask_education", "school-enrolment"),
    ("ask_education", "higher-education"),
)

# answer id -> its intent
CATALOGUE_INTENTS: Dict[str, str] = {answer: intent for intent, answer in CATALOGUE}
# answer id -> its place in the catalogue (answers of one intent are listed in this order)
CATALOGUE_ORDER: Dict[str, int] = {answer: n for n, (_, answer) in enumerate(CATALOGUE)}
