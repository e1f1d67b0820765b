"""tools/translations.py and tools/i18n/: the Chinese edition's catalogs, checked without an engine.

Over the real notebooks and translations/zh/: every English text has a current translation
(staleness), every translation follows the glossary and keeps the English cell's code spans,
links and headings, and the built notebooks differ from the English ones only in prose. On
copies: a planted English change is reported stale, marked fuzzy by `update` with the previous
English kept, and left in English by `build`; a translation that would change code is refused.
"""

from __future__ import annotations

import functools
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from .tool_modules import load

ROOT = Path(__file__).resolve().parents[2]
translations = load("translations")
from i18n import comments, glossary, markdown, review  # noqa: E402  (tools/ is on the path now)

NOTEBOOKS = translations.notebooks(ROOT / "notebooks")
GLOSSARY = ROOT / "translations" / "zh" / "glossary.md"
CHAPTER = ROOT / "notebooks" / "04-namespaces.ipynb"
STATUS = "run `./course translations status` for the list, `./course translations update` after" \
         " an English change, then translate the entries in translations/zh/*.po"


@functools.cache
def _chapters() -> tuple[tuple[str, nbformat.NotebookNode, object], ...]:
    """(name, English notebook, its zh catalog) for every chapter, read once."""
    return tuple((path.name, nbformat.read(path, as_version=4),
                  translations.load(translations.catalog_path("zh", path), "zh"))
                 for path in NOTEBOOKS)


def _translated() -> list[tuple[str, object, str]]:
    """(where, unit, translation) for every text with a current translation."""
    found = []
    for name, nb, catalog in _chapters():
        for unit in translations.units(nb):
            message = catalog.get(unit.text, unit.context)
            if message is not None and message.string and not message.fuzzy:
                found.append((f"{name} {unit.context}", unit, message.string))
    return found


def _fill(nb: nbformat.NotebookNode, language: str = "zh") -> object:
    """A catalog for `nb` with every text translated (a recognisable stand-in translation)."""
    catalog = translations.update(nb, translations.load(Path("/nonexistent.po"), language),
                                  language)
    for message in catalog:
        if message.id:
            message.string = _standin(message.id, message.context)
    return catalog


def _standin(english: str, context: str) -> str:
    """A recognisable translation that keeps the English's code, links and headings."""
    if context.endswith(":comment"):
        return f"注释：{english}"
    return f"〔译文 {context}〕\n{english}"


def _copy_chapter(tmp_path: Path) -> tuple[Path, Path, nbformat.NotebookNode]:
    """notebooks/04 copied to TMP/notebooks with a complete stand-in catalog under TMP."""
    source = tmp_path / "notebooks"
    source.mkdir()
    shutil.copy2(CHAPTER, source / CHAPTER.name)
    nb = nbformat.read(source / CHAPTER.name, as_version=4)
    translations.save(_fill(nb), translations.catalog_path("zh", CHAPTER, tmp_path))
    return source, source / CHAPTER.name, nb


# --- staleness over the real notebooks ------------------------------------------------------

def test_every_english_text_has_a_current_translation() -> None:
    stale = []
    for name, nb, catalog in _chapters():
        stale += translations.problems(nb, catalog, name)
    listed = "\n".join(f"  {p.notebook} {p.context}: {p.why}: "
                       f"{p.english.strip().splitlines()[0][:70]}" for p in stale)
    assert not stale, f"{len(stale)} English text(s) without a current Chinese translation:\n" \
                      f"{listed}\n{STATUS}"


# --- a planted English change ---------------------------------------------------------------

def _plant(path: Path, nb: nbformat.NotebookNode) -> tuple[str, str, str, str]:
    """Change one markdown cell and one learner's comment of the copy; (ids and old texts)."""
    changed = nbformat.from_dict(nb)
    md = next(c for c in changed.cells if c.cell_type == "markdown" and "## " in c.source)
    code = next(c for c in changed.cells if c.cell_type == "code" and comments.texts(c.source))
    old_md, old_comment = md.source, comments.texts(code.source)[0]
    md.source += "\n\nA sentence the English gained."
    code.source = code.source.replace(old_comment, old_comment + ", now reworded")
    nbformat.write(changed, path)
    return md.id, old_md, code.id + translations.COMMENT, old_comment


def test_a_planted_change_is_stale_fuzzy_after_update_and_english_in_the_build(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source, path, nb = _copy_chapter(tmp_path)
    assert translations.main(["status", "--source", str(source), "--root", str(tmp_path)]) == 0
    md_id, old_md, comment_ctx, old_comment = _plant(path, nb)
    changed = nbformat.read(path, as_version=4)
    catalog_file = translations.catalog_path("zh", path, tmp_path)

    found = translations.problems(changed, translations.load(catalog_file, "zh"), path.name)
    assert sorted(p.context for p in found) == sorted([md_id, comment_ctx])
    capsys.readouterr()
    assert translations.main(["status", "--source", str(source), "--root", str(tmp_path)]) == 1
    assert md_id in capsys.readouterr().out

    assert translations.main(["update", "--source", str(source), "--root", str(tmp_path)]) == 0
    catalog = translations.load(catalog_file, "zh")
    md_text = next(c.source for c in changed.cells if c.id == md_id)
    md_message = catalog.get(md_text, md_id)
    assert md_message.fuzzy and md_message.previous_id == [old_md]
    assert md_message.string == _standin(old_md, md_id)  # kept for the translator
    new_comment = old_comment + ", now reworded"
    comment_message = catalog.get(new_comment, comment_ctx)
    assert comment_message.fuzzy and comment_message.previous_id == [old_comment]
    assert "#| msgid" in catalog_file.read_text(encoding="utf-8")
    assert {p.why for p in translations.problems(changed, catalog, path.name)} == {"fuzzy"}

    built = translations.build(source, tmp_path / "dist", "zh", tmp_path)
    assert [b.untranslated for b in built] == [2]
    out = nbformat.read(built[0].path, as_version=4)
    cells = {c.id: c for c in out.cells}
    assert cells[md_id].source == md_text  # left in English
    assert new_comment in cells[comment_ctx.split(":")[0]].source
    others = [c for c in out.cells if c.cell_type == "markdown" and c.id != md_id]
    assert others and all(c.source.startswith(f"〔译文 {c.id}〕") for c in others)

    # a second change before the translator came: the English the translation was made for stays
    twice = nbformat.read(path, as_version=4)
    next(c for c in twice.cells if c.id == md_id).source += " And another."
    nbformat.write(twice, path)
    translations.main(["update", "--source", str(source), "--root", str(tmp_path)])
    again = translations.load(catalog_file, "zh")
    assert again.get(md_text + " And another.", md_id).previous_id == [old_md]
    # the English change undone: the old translation is current again
    nbformat.write(nb, path)
    translations.main(["update", "--source", str(source), "--root", str(tmp_path)])
    assert translations.problems(nb, translations.load(catalog_file, "zh"), path.name) == []


# --- build ----------------------------------------------------------------------------------

def test_build_replaces_prose_only_and_marks_the_language(tmp_path: Path) -> None:
    source, path, nb = _copy_chapter(tmp_path)
    built = translations.build(source, tmp_path / "dist", "zh", tmp_path)
    assert [(b.name, b.untranslated) for b in built] == [(path.name, 0)]
    assert built[0].path == tmp_path / "dist" / "zh" / "notebooks" / path.name
    out = nbformat.read(built[0].path, as_version=4)
    assert out.metadata["language"] == "zh"
    assert {k: v for k, v in out.metadata.items() if k != "language"} == dict(nb.metadata)
    assert [c.id for c in out.cells] == [c.id for c in nb.cells]
    for english, zh in zip(nb.cells, out.cells, strict=True):
        assert zh.metadata == english.metadata
        if english.cell_type == "markdown":
            assert zh.source == _standin(english.source, english.id)
        else:
            assert zh.outputs == english.outputs
            assert zh.execution_count == english.execution_count
            assert comments.same_code(english.source, zh.source)
            for text in comments.texts(english.source):
                assert f"注释：{text}" in zh.source


def test_build_refuses_a_translation_that_changes_code(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source, path, nb = _copy_chapter(tmp_path)
    catalog_file = translations.catalog_path("zh", path, tmp_path)
    catalog = translations.load(catalog_file, "zh")
    message = next(m for m in catalog if m.id and m.context.endswith(":comment"))
    message.string = "新的注释\nimport os"
    translations.save(catalog, catalog_file)
    with pytest.raises(translations.TranslationError, match=message.context.split(":")[0]):
        translations.build(source, tmp_path / "dist", "zh", tmp_path)
    assert translations.main(["build", "--source", str(source), "--out", str(tmp_path / "d"),
                              "--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "line break" in err and "Traceback" not in err
    assert not (tmp_path / "d" / "zh" / "notebooks").exists()


def test_real_build_keeps_code_outputs_and_marks_the_language(tmp_path: Path) -> None:
    built = translations.build(ROOT / "notebooks", tmp_path, "zh")
    assert [b.name for b in built] == [p.name for p in NOTEBOOKS]
    for (name, english, catalog), item in zip(_chapters(), built, strict=True):
        zh = nbformat.read(item.path, as_version=4)
        assert zh.metadata["language"] == "zh", name
        for e_cell, z_cell in zip(english.cells, zh.cells, strict=True):
            assert (z_cell.id, z_cell.cell_type) == (e_cell.id, e_cell.cell_type)
            if e_cell.cell_type == "code":
                assert comments.same_code(e_cell.source, z_cell.source), (name, e_cell.id)
                assert z_cell.outputs == e_cell.outputs, (name, e_cell.id)
            elif e_cell.source.strip():
                message = catalog.get(e_cell.source, e_cell.id)
                current = message is not None and message.string and not message.fuzzy
                assert z_cell.source == (message.string if current else e_cell.source)


# --- code comments --------------------------------------------------------------------------

CELL = '''\
lab.run("labkit/busybox")  # the first container
text = "# not a comment"
### BEGIN SOLUTION
### placeholder: flags = ...  # the docker run flags, e.g. ["--flag", "value"]
### placeholder: steps = ...  # [["ip", "link", "set", host_end, "master", bridge], ...]
flags = ["--pid", "host"]  # the first container
### END SOLUTION
check(flags)'''


def test_learner_comments_are_found_and_code_shaped_ones_are_not() -> None:
    assert comments.texts(CELL) == ["the first container",
                                    'the docker run flags, e.g. ["--flag", "value"]']
    assert comments.is_code('[["ip", "link"], ...]')
    assert not comments.is_code("the DNS is c1's")


def test_translating_a_code_cell_changes_only_its_comments() -> None:
    table = {"the first container": "第一个容器",
             'the docker run flags, e.g. ["--flag", "value"]':
                 'docker run 的参数，例如 ["--flag", "value"]'}
    out = comments.replace(CELL, table.get, where="cell 1")
    assert out.count("# 第一个容器") == 2
    assert '### placeholder: flags = ...  # docker run 的参数，例如 ["--flag", "value"]' in out
    assert 'text = "# not a comment"' in out
    assert comments.code_tokens(out) == comments.code_tokens(CELL)
    assert comments.same_code(CELL, out)
    assert not comments.same_code(CELL, CELL.replace('"host"', '"container"'))


def test_a_comment_translation_that_would_change_code_is_refused() -> None:
    with pytest.raises(comments.CodeChanged, match="cell 7"):
        comments.replace(CELL, lambda text: "第一行\nimport os", where="cell 7")


# --- structure ------------------------------------------------------------------------------

def test_structure_checker_finds_lost_code_links_and_headings() -> None:
    english = ("## 2. Layers\n\nSee `lowerdir` and [02b](02b-x.ipynb).\n\n"
               "```bash\nls /var/lib/docker\n```")
    good = "## 2. 层\n\n看 `lowerdir` 和 [02b](02b-x.ipynb)。\n\n```bash\nls /var/lib/docker\n```"
    bad = "### 2. 层\n\n看 lowerdir 和 [02b](02-x.ipynb)。\n\n```bash\nls /var/lib\n```"
    assert markdown.structure_problems(english, good) == []
    found = markdown.structure_problems(english, bad)
    assert len(found) == 4, found
    assert markdown.code_spans("a ``x ` y`` b `c`") == ["``x ` y``", "`c`"]
    # a word the English writes plainly may be put in code font; a new code span may not
    assert markdown.structure_problems("Uses overlay2 here.", "这里用 `overlay2`。") == []
    assert markdown.structure_problems("Uses overlay2 here.", "这里用 `rm -rf /`。") != []
    assert markdown.heading_levels("# a\n```\n# not\n```\n### b") == [1, 3]


def test_translations_keep_code_spans_links_and_headings_and_line_breaks() -> None:
    offenders = [f"  {where}: {problem}" for where, unit, text in _translated()
                 for problem in review.structure(unit.kind, unit.text, text)]
    assert not offenders, ("translations that lost code, links, headings or line breaks"
                           " (fix the .po):\n" + "\n".join(offenders))


def test_review_of_a_comment_and_line_breaks() -> None:
    assert review.structure("comment", 'as text: "ADDRESS:PORT"', '文本："ADDRESS:PORT"') == []
    assert review.structure("comment", 'as text: "ADDRESS:PORT"', "文本：地址:端口") != []
    assert review.structure("markdown", "Read it:\n", "读它：") != []


def test_status_reports_a_translation_that_lost_a_code_span(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source, path, nb = _copy_chapter(tmp_path)
    catalog_file = translations.catalog_path("zh", path, tmp_path)
    catalog = translations.load(catalog_file, "zh")
    cell = next(c for c in nb.cells if c.cell_type == "markdown" and "`" in c.source)
    catalog.get(cell.source, cell.id).string = "没有代码。"
    translations.save(catalog, catalog_file)
    assert translations.main(["status", "--source", str(source), "--root", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"{cell.id}: code spans differ" in out and "0 text(s) to translate" in out


# --- glossary -------------------------------------------------------------------------------

def test_the_glossary_parses() -> None:
    parsed = glossary.parse(GLOSSARY)
    terms = {term.english: term for term in parsed.terms}
    assert terms["image"].chinese == "镜像" and "映像" in terms["image"].avoid
    assert terms["namespace"].chinese == "命名空间"
    assert {"lowerdir", "upperdir", "workdir", "merged", "netns", "overlay2",
            "containerd"} <= set(parsed.kept)
    assert "a port of" in parsed.other_senses


def test_glossary_offenses_are_found() -> None:
    parsed = glossary.Glossary((glossary.Term("image", "镜像", ("映像",)),
                                glossary.Term("registry", "镜像仓库"),
                                glossary.Term("container", "容器")),
                               ("lowerdir",))
    english = "Two images, one in each registry; see `lowerdir` and `containerd`."
    assert glossary.offenses(parsed, english, "两个镜像，各在一个镜像仓库里；看 `lowerdir`。") == []
    found = glossary.offenses(parsed, english, "两个映像，各在一个仓库里；看 lowerdir。")
    assert len(found) == 4, found  # no 镜像, 映像 used, no 镜像仓库, lowerdir not in code font
    assert glossary.offenses(parsed, "Use `image` and containerd.", "用 `image`。") == []
    assert glossary.offenses(parsed, "Two registries.", "两个仓库。") != []
    other = glossary.Glossary(parsed.terms, (), ("a port of",))
    port = glossary.Glossary((glossary.Term("port", "端口"),), (), ("a port of",))
    assert glossary.offenses(port, "It is a port of Go code.", "它移植自 Go 代码。") == []
    assert glossary.offenses(port, "Publish a port.", "发布它。") != []
    assert other.other_senses == ("a port of",)


def test_translations_follow_the_glossary() -> None:
    parsed = glossary.parse(GLOSSARY)
    offenders = [f"  {where}: {offense}" for where, unit, text in _translated()
                 for offense in glossary.offenses(parsed, unit.text, text)]
    assert not offenders, (f"{len(offenders)} glossary offense(s) (translations/zh/glossary.md;"
                           " fix the .po entries):\n" + "\n".join(offenders))


# --- ./course and CI ------------------------------------------------------------------------

def _branch(script: str, name: str) -> str:
    match = re.search(rf"^  {re.escape(name)}\)\n(?P<body>.*?)^    ;;$", script, re.S | re.M)
    assert match, f"`course` has no `{name})` branch"
    return match["body"]


def test_course_builds_and_checks_the_chinese_edition() -> None:
    script = (ROOT / "course").read_text(encoding="utf-8")
    zh_editions = re.search(r"^zh_editions\(\) \{\n(?P<body>.*?)^\}", script, re.S | re.M)
    assert zh_editions and "tools/translations.py build" in zh_editions["body"]
    assert "--source dist/zh/notebooks --out dist/zh" in zh_editions["body"]
    assert "tools/translations.py" in _branch(script, "translations")
    assert "zh_editions" in _branch(script, "editions")
    test = _branch(script, "test")
    assert test.index("zh_editions") < test.index("zh_sites") < test.index("pytest")
    assert "zh_sites" in _branch(script, "site")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "zh/student zh/answer-key" in ci and "dist/site/zh/index.html" in ci


def test_save_writes_a_catalog_msgfmt_accepts(tmp_path: Path) -> None:
    catalog = translations.load(tmp_path / "none.po", "zh")
    catalog.add("The cell reads the rules:\n", "单元格读取规则：", context="abc")
    catalog.add("No break", "没有换行\n", context="def")
    path = tmp_path / "x.po"
    translations.save(catalog, path)
    again = translations.load(path, "zh")
    assert again.get("The cell reads the rules:\n", "abc").string == "单元格读取规则：\n"
    assert again.get("No break", "def").string == "没有换行"
