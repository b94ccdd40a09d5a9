# One image for heardback's processes; the worker is the default command.
FROM python:3.11-slim

RUN useradd --create-home --uid 10001 heardback
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY workflows workflows
COPY activities activities
COPY worker worker
COPY starter starter
RUN pip install --no-cache-dir -c constraints.txt . && mkdir -p /app/var && chown heardback /app/var
USER heardback
CMD ["python", "-m", "worker"]
