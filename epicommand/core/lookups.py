"""`field__any=[…]`: membership in a long list of values, for the bulk paths (an import batch looks up thousands
of codes and ids at once).

On PostgreSQL it is `field = ANY(%s)` with the list as one array parameter: `__in` would prepare every value
through the field and spell out thousands of placeholders that the driver then splits again, which costs more
than the query itself. Elsewhere it is `__in`, unchanged. The values are passed as they are, so they must
already be what the column holds (ids, codes), not model instances."""

from __future__ import annotations

from django.db.models import Field, ForeignObject
from django.db.models.lookups import In


class AnyOf(In):
    lookup_name = "any"

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", (*lhs_params, list(self.rhs))


# Related fields keep lookups of their own: registered on both, `case_id__any` works like `code__any`.
Field.register_lookup(AnyOf)
ForeignObject.register_lookup(AnyOf)
