"""Material for believable, fictional Chinese names (common surnames, given-name characters)."""

# Common surnames, the most frequent repeated so that they come up more often.
SURNAMES = (
    "王王王李李李张张张刘刘陈陈杨杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖"
    "田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛"
    "段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)

# Characters used in given names; a given name takes one or two of them.
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚华建国志红文辉力鹏飞宇浩然海波斌俊峰宁欣怡"
    "婷雪琳晨阳瑞凯博亮晶慧莉颖佳倩雯嘉鑫昊天翔东晓立新春秋燕玲萍兰梅英秀桂珍丹琴璐彤蕾"
)
