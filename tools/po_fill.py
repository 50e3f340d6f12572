"""Developer tool: merge translations from a TSV (msgid<TAB>msgstr) into a catalog; keeps the rest."""

import sys

from babel.messages.pofile import read_po, write_po


def main(po_path: str, *tsv_paths: str) -> None:
    with open(po_path, "rb") as fh:
        catalog = read_po(fh)
    table = {}
    if tsv_paths == ("--identity",):  # the English catalog: msgids are English already
        table = {(m.id if isinstance(m.id, str) else m.id[0]): m.id for m in catalog if m.id}
        tsv_paths = ()
    for tsv_path in tsv_paths:  # several files, one per feature, so parallel work does not collide
        with open(tsv_path, encoding="utf-8") as fh:
            for line in fh:
                line = line.rstrip("\n")
                if not line or line.startswith("#") or "\t" not in line:
                    continue
                msgid, msgstr = line.split("\t", 1)
                table[msgid.replace("\\n", "\n")] = msgstr.replace("\\n", "\n")
    filled = 0
    for message in catalog:
        key = message.id if isinstance(message.id, str) else (message.id[0] if message.id else None)
        if key and key in table:
            value = table[key]
            if isinstance(message.id, (tuple, list)):
                # Plural entries: one form per plural of the catalog's language (Chinese has one).
                forms = value if isinstance(value, (tuple, list)) else (value,) * catalog.num_plurals
                value = tuple(forms[: catalog.num_plurals])
            message.string = value
            message.flags.discard("fuzzy")
            filled += 1
    with open(po_path, "wb") as fh:
        write_po(fh, catalog, width=0, sort_output=True)
    print(f"{po_path}: {filled} messages filled")


if __name__ == "__main__":
    main(*sys.argv[1:])
