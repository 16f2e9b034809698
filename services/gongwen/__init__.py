"""The 公文 record: elements, 正文 versions (with 花脸稿 comparison), files and 发文稿纸."""
