"""The dbt run folders that dagster-dbt writes under dbt/target do not pile up."""

import os

from dagster_project.transform.project import prune_run_targets


def test_only_the_newest_run_folders_of_the_dbt_step_are_kept(tmp_path):
    runs = []
    for age in range(25):  # cdp_dbt_models-<run>-<suffix>, the oldest first
        folder = tmp_path / f"cdp_dbt_models-{age:07d}-abcdef0"
        (folder / "compiled").mkdir(parents=True)
        (folder / "manifest.json").write_text("{}")
        os.utime(folder, (1_000_000 + age, 1_000_000 + age))
        runs.append(folder)
    other_op = tmp_path / "other_op-0000001-abcdef0"
    other_op.mkdir()
    (tmp_path / "partial_parse.msgpack").write_bytes(b"state")
    current = runs[-1]

    removed = prune_run_targets(current, keep=20)

    assert sorted(removed) == runs[:5]
    assert sorted(p for p in tmp_path.iterdir() if p.name.startswith("cdp_dbt_models-")) == runs[5:]
    assert other_op.is_dir() and (tmp_path / "partial_parse.msgpack").exists()


def test_the_current_run_folder_is_kept_whatever_its_time(tmp_path):
    older = tmp_path / "cdp_dbt_models-0000002-abcdef0"
    current = tmp_path / "cdp_dbt_models-0000001-abcdef0"
    for folder, stamp in ((older, 2_000_000), (current, 1_000_000)):
        folder.mkdir()
        os.utime(folder, (stamp, stamp))

    assert prune_run_targets(current, keep=1) == []
    assert older.is_dir() and current.is_dir()
