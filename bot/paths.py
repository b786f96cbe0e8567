"""Well-known paths of the project checkout."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
NLU_DATA = DATA / "nlu"
STORIES = DATA / "stories.yml"
RULES = DATA / "rules.yml"
DOMAIN = ROOT / "domain.yml"
CONFIG = ROOT / "config.yml"
CANDIDATE_CONFIGS = ROOT / "configs"
ENDPOINTS = ROOT / "endpoints.yml"
CREDENTIALS = ROOT / "credentials.yml"
MODELS = ROOT / "models"
VAR = ROOT / "var"
REPORTS = ROOT / "reports"
TESTS = ROOT / "tests"
NLU_TEST_SET = TESTS / "nlu_test.yml"
TEST_STORIES = TESTS / "test_stories.yml"

# What Rasa trains on: the dialogue/NLU files only (other YAML under data/ is our own data).
RASA_TRAINING_DATA = [NLU_DATA, STORIES, RULES]
