package sandbox

// maxBody bounds a request body, before and after gzip decompression
// alike; AWS's own limits are lower for every operation the sandbox serves
// except S3 uploads.
const maxBody = 32 << 20
