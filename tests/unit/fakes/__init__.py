"""The unit tests' fakes, one module per door labkit reaches the machine through.

labkit reaches the machine through a few doors, and each module here fakes one of them:

- `seam`: `use_fakes()`, which puts a fake behind each door it is given (and the previous one
  back on exit), and the loud defaults (`Unfaked`) the autouse fixture installs first;
- `host`: `host()`, the commands and files on the Docker host (`FakeHost`, answers for
  `readlink` and `ip -j`);
- `client`: `client()`, the Docker SDK (`FakeClient`, its containers, images, networks, volumes
  and low-level `api`; a `docker info` answer);
- `machine`: `engine.system()` and `settings.is_root()`, this machine's apt, dockerd and which
  (`FakeMachine`);
- `clock`: the time labkit.base.wait reads and sleeps on (`FakeClock`);
- `cli_engine`: an `engine.system()` whose `docker` program acts on a FakeClient (`CliEngine`);
- `lab`: the `Lab` a lesson is handed (`FakeLab`);
- `docker_root`: a Docker root on disk, layerdb and overlay2 folders (`make_store`, `whiteout`).

Nothing is re-exported here: a test imports each fake from the module that owns it.
"""
