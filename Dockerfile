# bgapp as a container: the app on port 8501. Build: docker build -t bgapp .
# Run: docker run -p 8501:8501 bgapp   (for a class: replicas behind HAProxy with coturn, deploy/compose.yaml; README: Host it for a class)
# BGSLibrary's methods work under Docker's default seccomp profile: it refuses unshare(CLONE_FS) (the
# private working directory they are built with elsewhere), so bgapp changes the process's working
# directory into a private temp folder for each constructor (a fraction of a millisecond, under a lock;
# see bgapp/pybgs_adapter.py). Nothing is written to /app; no --security-opt or --cap-add is needed.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app
# The OpenCV headless wheel needs no system GUI libraries; PyAV wheels bundle FFmpeg.
COPY requirements.txt .
RUN pip install -r requirements.txt

# BGSLibrary's wrapper (the bgapp[bgslibrary] extra), compiled against Debian's OpenCV; the compilers go
# again afterwards, OpenCV's runtime libraries stay.
RUN apt-get update \
 && apt-get install -y --no-install-recommends cmake build-essential pkg-config libopencv-dev \
 && CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) pip install --no-deps "pybgs==3.3.1" \
 && apt-get purge -y cmake build-essential \
 && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*

COPY pyproject.toml README.md ./
COPY bgapp ./bgapp
COPY ui ./ui
COPY app_pages ./app_pages
COPY app.py ./
COPY .streamlit ./.streamlit
RUN pip install --no-deps . && useradd --create-home bgapp
USER bgapp

EXPOSE 8501
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health')"
# ICE servers for the webcam page: BGAPP_ICE_SERVERS='[{"urls": ["turn:turn.example.org:3478"], "username": "...", "credential": "..."}]'
CMD ["streamlit", "run", "app.py", "--server.address=0.0.0.0", "--server.port=8501", "--server.headless=true"]
