"""Police forces by name: a court certificate names the issuing force as the court knows it, not by our code.

The codes are CARA's own short codes (the `force` claim of a token, the `force` of every record). The names are
the forces' own: the 43 territorial forces of England and Wales, and the three special police forces there whose
officers may give an out-of-court disposal (British Transport Police, Ministry of Defence Police, Civil Nuclear
Constabulary). Conditional and diversionary cautions are England and Wales law (CJA 2003 s.22, PCSC Act 2022
Part 6), so Police Scotland and the PSNI are not listed; a force this list lacks, or names differently, is
configured (CARA_FORCE_NAMES) rather than guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

FORCES: Mapping[str, str] = MappingProxyType({
    "AVON": "Avon and Somerset Constabulary",
    "BEDS": "Bedfordshire Police",
    "CAMBS": "Cambridgeshire Constabulary",
    "CHESHIRE": "Cheshire Constabulary",
    "CITY": "City of London Police",
    "CLEVELAND": "Cleveland Police",
    "CUMBRIA": "Cumbria Constabulary",
    "DERBYS": "Derbyshire Constabulary",
    "DEVON": "Devon and Cornwall Police",
    "DORSET": "Dorset Police",
    "DURHAM": "Durham Constabulary",
    "DYFED": "Dyfed-Powys Police",
    "ESSEX": "Essex Police",
    "GLOS": "Gloucestershire Constabulary",
    "GMP": "Greater Manchester Police",
    "GWENT": "Gwent Police",
    "HANTS": "Hampshire and Isle of Wight Constabulary",
    "HERTS": "Hertfordshire Constabulary",
    "HUMBER": "Humberside Police",
    "KENT": "Kent Police",
    "LANCS": "Lancashire Constabulary",
    "LEICS": "Leicestershire Police",
    "LINCS": "Lincolnshire Police",
    "MERSEY": "Merseyside Police",
    "MET": "Metropolitan Police Service",
    "NORFOLK": "Norfolk Constabulary",
    "NWALES": "North Wales Police",
    "NYORKS": "North Yorkshire Police",
    "NORTHANTS": "Northamptonshire Police",
    "NORTHUMBRIA": "Northumbria Police",
    "NOTTS": "Nottinghamshire Police",
    "SWALES": "South Wales Police",
    "SYORKS": "South Yorkshire Police",
    "STAFFS": "Staffordshire Police",
    "SUFFOLK": "Suffolk Constabulary",
    "SURREY": "Surrey Police",
    "SUSSEX": "Sussex Police",
    "TVP": "Thames Valley Police",
    "WARKS": "Warwickshire Police",
    "WMERCIA": "West Mercia Police",
    "WMP": "West Midlands Police",
    "WYP": "West Yorkshire Police",
    "WILTS": "Wiltshire Police",
    # the special police forces of England and Wales
    "BTP": "British Transport Police",
    "MDP": "Ministry of Defence Police",
    "CNC": "Civil Nuclear Constabulary",
})
TERRITORIAL_FORCES = 43


def force_name(code: str, configured: Mapping[str, str] | None = None) -> str:
    """The force's name for `code`: the configured name first (CARA_FORCE_NAMES), then the list above.

    A code neither knows is printed as it is, saying so: a certificate must not name a force it cannot vouch for."""
    known = {**FORCES, **(configured or {})}
    name = known.get(code) or known.get(code.upper())
    if name:
        return name
    return f"force code {code} (no force name is configured for this code)"


def is_named(code: str, configured: Mapping[str, str] | None = None) -> bool:
    """Whether `force_name` knows a name for `code` (not merely the code with a note)."""
    known = {**FORCES, **(configured or {})}
    return code in known or code.upper() in known
