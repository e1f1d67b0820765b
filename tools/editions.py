"""Build the student edition and the answer key from the notebooks (`./course editions`).

Cells are found by their cell tags, never by headings: `exercise` marks an exercise's code
cells, and `solution` those of them that hold a model solution between two marker lines:

    ### BEGIN SOLUTION  (placeholder: answer = ...)
    answer = ["linux/amd64", "linux/arm64"]
    ### END SOLUTION

The student edition replaces each block by its placeholder (indented like the BEGIN line), by
the lines `### placeholder: TEXT` that follow the BEGIN line when one line is not enough, or by
`...  # your answer here`, and clears the outputs of every `exercise` and `solution` cell (a
stored "passed" would give the answer away). Its first cell (tag `edition-note`) says which
engine and date the stored outputs come from, in the notebook's language (metadata `language`,
`zh` for the Chinese edition). The answer key is the notebook with the marker lines removed and
every output kept. Both keep the cell tags. A marker in a cell without the tag `solution`, or
the tag without markers, stops the build. `OUT/student/` also gets a README.md for learners,
and `OUT/student.zip` holds exactly that folder, ready to hand out. See CONTRIBUTING.md,
"Editions".
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
BEGIN = re.compile(r"^(?P<indent>\s*)### BEGIN SOLUTION\b(?P<rest>.*)$")
END = re.compile(r"^\s*### END SOLUTION\b")
PLACEHOLDER_LINE = re.compile(r"^\s*### placeholder:\s?(?P<text>.*)$")
INLINE_PLACEHOLDER = re.compile(r"\(placeholder:\s*(?P<text>.*)\)\s*$")
ANY_MARKER = re.compile(r"### (BEGIN|END) SOLUTION\b")
DEFAULT_PLACEHOLDER = "...  # your answer here"
EXERCISE_TAG, SOLUTION_TAG, NOTE_TAG = "exercise", "solution", "edition-note"
CHAPTERS = "[0-9][0-9]*-*.ipynb"
# Files the notebooks need beside them, relative to notebooks/. Nothing today: the notebooks
# import labkit (installed in the environment) and write only into the lab's own folders.
SUPPORT_FILES: tuple[str, ...] = ()
# What a teacher's JupyterLab or Python leaves in a folder; never handed out.
NEVER_COPIED = shutil.ignore_patterns(".*", "__pycache__")
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the same bytes on every build of the same notebooks

NOTE = {
    "en": {
        "title": "**Student edition.**",
        "engine": "The outputs stored in this notebook were recorded on Docker Engine"
                  " {version}{parts}{when}.",
        "brackets": " ({})",
        "when": " on {date}",
        "unknown": "This notebook does not say which engine its stored outputs were recorded on.",
        "parts": ("release {}", "storage {}", "builder {}", "firewall {}", "cgroup v{}"),
        "sep": ", ",
        "yours": "When you run a cell, your own engine's output replaces the stored one; where"
                 " your engine differs, its output may too.",
        "exercises": "The exercise cells have no output on purpose: run them, and their checks"
                     " tell you, against your engine, whether your answer passes.",
        "join": " ",
    },
    "zh": {
        "title": "**学生版**。",  # "。**本" would not close the bold (CommonMark)
        "engine": "本笔记本保存的输出录制于 Docker Engine {version}{parts}{when}。",
        "brackets": "（{}）",
        "when": "，录制日期 {date}",
        "unknown": "本笔记本没有记录保存的输出来自哪个引擎。",
        "parts": ("版本系列 {}", "存储 {}", "构建器 {}", "防火墙 {}", "控制组 v{}"),
        "sep": "，",
        "yours": "你运行一个单元格后，它的输出会换成你自己引擎的输出；如果你的引擎与录制时的不同，"
                 "输出也可能不同。",
        "exercises": "练习单元格特意没有输出：请运行它们，其中的检查会在你的引擎上判断"
                     "答案是否通过。",
        "join": "",
    },
}

# The student folder's README.md, one string per paragraph or list item (a line break inside a
# Chinese paragraph would show as a space).
README = {
    "en": [
        "# The Docker Internals Workbook: student edition",
        "These are the course's chapters as Jupyter notebooks; start with `00-preflight.ipynb`."
        " Each chapter ends with exercises: write your answer where a cell says `...`, then run"
        " the cell. Its check runs against your own Docker Engine and says whether the answer"
        " passes, with a hint when it does not. The exercise cells have no output yet; every"
        " other cell shows the output recorded on the engine named at the top of the notebook,"
        " and running the cell replaces it with yours.",
        "## What you need",
        "A Linux machine where you are root, with the course's `labkit` package, a Docker Engine"
        " and the course images. The course repository prepares all three; your teacher tells"
        " you which way:",
        "- **The course's dev container** (GitHub Codespaces, or VS Code's \"Reopen in"
        " Container\" on a clone of the course repository): it is prepared when it is created."
        " Copy this folder into it (drag it into VS Code's Explorer), then run in its terminal"
        " `sudo ./course lab \"$PWD/student\"`.\n"
        "- **A Debian or Ubuntu machine you may change** (a virtual machine you can throw away"
        " is ideal) with Python 3.11 or newer: clone the course repository, and run from the"
        " clone `sudo ./course lab /full/path/to/this/folder`. The first run installs Debian's"
        " Docker Engine and builds the course images (a few minutes).",
        "Then open the link JupyterLab prints. Chapters 02 to 04 change the machine's mounts,"
        " network namespaces and firewall rules (and remove what they made at the end), which is"
        " why the course wants a machine of its own.",
    ],
    "zh": [
        "# Docker 内部原理练习册：学生版",
        "这些是课程各章的 Jupyter 笔记本，请从 `00-preflight.ipynb` 开始。每章最后都有练习："
        "在单元格里写着 `...` 的地方填上你的答案，然后运行这个单元格。其中的检查会在你自己的"
        " Docker Engine 上运行，告诉你答案是否通过；没通过时会给出提示。练习单元格现在没有输出；"
        "其他单元格显示的是在笔记本开头写明的引擎上录制的输出，你运行后会换成你自己的输出。",
        "## 准备工作",
        "你需要一台有 root 权限的 Linux 机器，装好课程的 `labkit` 包、Docker Engine 和课程镜像。"
        "这三样都由课程仓库准备，具体用哪种方式，请听老师安排：",
        "- **课程的开发容器**（GitHub Codespaces，或者在课程仓库的克隆上使用 VS Code 的"
        "“在容器中重新打开”）：容器创建时就已准备好。把这个文件夹拖进 VS Code 的资源管理器，"
        "然后在它的终端里运行 `sudo ./course lab \"$PWD/student\"`。\n"
        "- **一台可以随意改动的 Debian 或 Ubuntu 机器**（最好是用完即可丢弃的虚拟机），"
        "Python 3.11 或更新版本：克隆课程仓库，在克隆目录中运行"
        " `sudo ./course lab /这个文件夹的/完整路径`。第一次运行会安装 Debian 的 Docker Engine"
        " 并构建课程镜像，需要几分钟。",
        "然后打开 JupyterLab 打印出的链接。第 02 到 04 章会改动机器的挂载、网络命名空间和防火墙"
        "规则（结束时会删除自己创建的东西），所以课程最好独占一台机器。",
    ],
}


class EditionError(Exception):
    """A notebook's solution markers or tags cannot be processed; the message names the cell."""


@dataclass(frozen=True)
class Edited:
    """One notebook in both editions: its solution blocks and its `exercise` code cells."""

    name: str
    solutions: int
    exercise_cells: int = 0


def split_solution(source: str, where: str) -> tuple[str, str, int]:
    """Split one code cell's source into its student and answer-key versions.

    Args:
        source: the cell's source.
        where: "NOTEBOOK, cell N", used in error messages.
    Returns:
        (student source, answer-key source, number of solution blocks).
    Raises:
        EditionError: a BEGIN without END, an END without BEGIN, or a nested BEGIN.
    """
    student: list[str] = []
    answer: list[str] = []
    blocks = 0
    inside = False
    placeholder: list[str] = []
    indent = ""
    taking_placeholder = False
    for number, line in enumerate(source.split("\n"), start=1):
        begin, end = BEGIN.match(line), END.match(line)
        if begin:
            if inside:
                raise EditionError(f"{where}: line {number} opens a second `### BEGIN SOLUTION`"
                                   " before the first is closed; add `### END SOLUTION`.")
            inside, taking_placeholder, blocks = True, True, blocks + 1
            indent = begin["indent"]
            inline = INLINE_PLACEHOLDER.search(begin["rest"])
            placeholder = [inline["text"]] if inline else []
            continue
        if end:
            if not inside:
                raise EditionError(f"{where}: line {number} has `### END SOLUTION` without a"
                                   " `### BEGIN SOLUTION` above it.")
            student += [indent + text for text in (placeholder or [DEFAULT_PLACEHOLDER])]
            inside = False
            continue
        if inside and taking_placeholder and (extra := PLACEHOLDER_LINE.match(line)):
            placeholder.append(extra["text"])
            continue
        taking_placeholder = False
        answer.append(line)
        if not inside:
            student.append(line)
    if inside:
        raise EditionError(f"{where}: `### BEGIN SOLUTION` is never closed; add"
                           " `### END SOLUTION` after the model solution.")
    return "\n".join(student), "\n".join(answer), blocks


def language(nb: nbformat.NotebookNode) -> str:
    """The edition's language, "zh" or "en", from the metadata `language` the translation sets."""
    return "zh" if str(nb.metadata.get("language") or "").lower().startswith("zh") else "en"


def edition_note(nb: nbformat.NotebookNode) -> str:
    """The student edition's first cell: the recording's engine and date, and what a run does.

    Reads `metadata.labkit.recorded_on` and `metadata.labkit.recording_run` (written by
    tools/execute_notebook.py); says that exercise outputs are empty on purpose when the
    notebook has `exercise` cells. In Chinese when `language(nb)` is "zh".
    """
    text = NOTE[language(nb)]
    labkit = nb.metadata.get("labkit") or {}
    facts = labkit.get("recorded_on")
    if isinstance(facts, dict) and facts.get("version"):
        keys = ("release", "storage", "builder", "firewall", "cgroup")
        parts = text["sep"].join(form.format(facts[key])
                                 for key, form in zip(keys, text["parts"], strict=True)
                                 if facts.get(key))
        parts = text["brackets"].format(parts) if parts else ""
        run = str(labkit.get("recording_run") or "")
        when = text["when"].format(date=run[:10]) if re.match(r"\d{4}-\d\d-\d\d", run) else ""
        engine = text["engine"].format(version=facts["version"], parts=parts, when=when)
    else:
        engine = text["unknown"]
    sentences = [text["title"], engine, text["yours"]]
    if any(EXERCISE_TAG in _tags(cell) for cell in nb.cells):
        sentences.append(text["exercises"])
    return text["join"].join(sentences)


def _tags(cell: nbformat.NotebookNode) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _note_cell(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    taken = {cell.get("id") for cell in nb.cells}
    cell_id = next(c for c in (NOTE_TAG, *(f"{NOTE_TAG}-{n}" for n in range(1, 99)))
                   if c not in taken)
    cell = nbformat.v4.new_markdown_cell(edition_note(nb), metadata={"tags": [NOTE_TAG]})
    if nb.get("nbformat_minor", 5) >= 5:
        cell.id = cell_id
    else:  # cell ids came with nbformat 4.5
        cell.pop("id", None)
    return cell


def _clear(cell: nbformat.NotebookNode) -> None:
    cell.outputs = []
    cell.execution_count = None


def _check_tags(cell: nbformat.NotebookNode, where: str) -> None:
    """A `solution` tag and solution markers go together (the site folds `solution` cells)."""
    marked = bool(ANY_MARKER.search(cell.source))
    tagged = SOLUTION_TAG in _tags(cell)
    if marked and cell.cell_type != "code":
        raise EditionError(f"{where} ({cell.cell_type}): solution markers work only in code"
                           " cells; move the solution into a code cell.")
    if marked and not tagged:
        raise EditionError(f"{where} has `### BEGIN SOLUTION` markers but not the cell tag"
                           f" `{SOLUTION_TAG}`: add the tag (JupyterLab: Property Inspector,"
                           " Cell Tags), or remove the markers.")
    if tagged and not marked:
        raise EditionError(f"{where} has the cell tag `{SOLUTION_TAG}` but no `### BEGIN"
                           " SOLUTION` ... `### END SOLUTION` block: mark the model solution,"
                           " or remove the tag.")


def make_editions(path: Path) -> tuple[nbformat.NotebookNode, nbformat.NotebookNode, int, int]:
    """Read one notebook: (student edition, answer key, solution blocks, exercise code cells).

    Raises:
        EditionError: a marker is unmatched, sits outside a code cell, or its cell lacks the
            tag `solution`; or a `solution` cell has no markers.
    """
    student = nbformat.read(path, as_version=4)
    answer = nbformat.read(path, as_version=4)
    blocks = exercises = 0
    for index, (s_cell, a_cell) in enumerate(zip(student.cells, answer.cells, strict=True)):
        where = f"{path.name}, cell {index + 1}"
        _check_tags(s_cell, where)
        if s_cell.cell_type != "code":
            continue
        s_cell.source, a_cell.source, found = split_solution(s_cell.source, where)
        blocks += found
        tags = _tags(s_cell)
        exercises += EXERCISE_TAG in tags
        if EXERCISE_TAG in tags or SOLUTION_TAG in tags:
            _clear(s_cell)
    # A source that already has a note (built from an edition) gets a fresh one, not a second.
    student.cells = [c for c in student.cells if NOTE_TAG not in _tags(c)]
    student.cells.insert(0, _note_cell(student))
    return student, answer, blocks, exercises


def write_zip(folder: Path, target: Path) -> list[str]:
    """Zip `folder` into `target`, every entry under the folder's own name (`student/...`).

    Entries are sorted and dated 1980-01-01, so the same folder gives the same bytes.
    Returns:
        the names of the files written, in order.
    """
    names = []
    partial = target.with_name(target.name + ".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            name = f"{folder.name}/{path.relative_to(folder).as_posix()}"
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes())
            names.append(name)
    partial.replace(target)
    return names


def _readme_language(notebooks: list[nbformat.NotebookNode]) -> str:
    return "zh" if notebooks and all(language(nb) == "zh" for nb in notebooks) else "en"


def build(source: Path, out: Path) -> list[Edited]:
    """Write `out/student/`, `out/student.zip` and `out/answer-key/` from the notebooks in `source`.

    Both folders are emptied first, so a removed chapter does not linger. The student folder
    holds the notebooks, the support files and a README.md for learners (in Chinese when every
    notebook is the Chinese edition), nothing else; the zip holds exactly that folder.
    Used by `./course editions`, tools/build_site.py's tests and the Chinese edition
    (`--source dist/zh/notebooks --out dist/zh`).
    Returns:
        one `Edited` per notebook, in name order.
    Raises:
        EditionError: a notebook's markers or tags cannot be processed (nothing is half-written
            then: every notebook is processed before the folders are touched).
    """
    notebooks = sorted(source.glob(CHAPTERS))
    made = [(nb, *make_editions(nb)) for nb in notebooks]
    student_dir, key_dir = out / "student", out / "answer-key"
    for folder in (student_dir, key_dir):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for name in SUPPORT_FILES:
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if (source / name).is_dir():
                shutil.copytree(source / name, target, ignore=NEVER_COPIED)
            else:
                shutil.copy2(source / name, target)
    report = []
    for path, student, answer, blocks, exercise_cells in made:
        nbformat.write(student, student_dir / path.name)
        if blocks:
            nbformat.write(answer, key_dir / path.name)
        else:
            shutil.copy2(path, key_dir / path.name)
        report.append(Edited(path.name, blocks, exercise_cells))
    lang = _readme_language([student for _, student, *_ in made])
    (student_dir / "README.md").write_text("\n\n".join(README[lang]) + "\n", encoding="utf-8")
    write_zip(student_dir, out / "student.zip")
    return report


def main(argv: list[str] | None = None) -> int:
    """`./course editions`: build both editions; exit 1 with the message on a marker error."""
    parser = argparse.ArgumentParser(prog="course editions", description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, default=ROOT / "notebooks")
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    args = parser.parse_args(argv)
    if not any(args.source.glob(CHAPTERS)):
        print(f"editions: no chapter notebooks (NN-name.ipynb) in {args.source}", file=sys.stderr)
        return 1
    try:
        report = build(args.source, args.out)
    except EditionError as error:
        print(f"editions: {error}", file=sys.stderr)
        return 1
    for edited in report:
        print(f"  {edited.name}: {edited.solutions} solution block(s),"
              f" {edited.exercise_cells} exercise cell(s)")
    print(f"editions: {args.out / 'student'} (to hand out: {args.out / 'student.zip'}) and"
          f" {args.out / 'answer-key'} ({len(report)} notebooks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
