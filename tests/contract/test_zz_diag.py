from collections import Counter
import atexit
from tests.contract import test_schemathesis as m
COUNTS = Counter()
@m.schema.hook
def after_call(context, case, response):
    mode = (case.meta.generation.mode.value + ":" + case.meta.phase.name.value) if case.meta else "?"
    COUNTS[(case.operation.label.replace("/v1/cautions","").replace("{caution_id}",""), mode, response.status_code)] += 1
atexit.register(lambda: print("\n".join(f"{k}: {v}" for k, v in sorted(COUNTS.items()))))
test_api = m.test_api_conforms_to_its_openapi_document
pool = m.caution_pool
