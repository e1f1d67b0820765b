"""The Chinese edition's parts, used by `tools/translations.py` and its tests.

- `comments`: the comments a learner reads in a code cell, and replacing only them (the code is
  compared token by token before and after);
- `markdown`: what a translated markdown cell must keep (code spans, fenced code, link targets,
  heading levels) and its prose without the code;
- `glossary`: `translations/zh/glossary.md` read, and a translation checked against it.
"""
